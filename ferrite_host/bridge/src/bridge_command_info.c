/*
 * COMMAND INFO / COMMAND DOCS metadata of a module command on Redis: RM_GetCommand +
 * RM_SetCommandInfo, called in OnLoad right after RM_CreateCommand. Both are fetched at run
 * time and may be missing (a server without them keeps Redis's derived metadata).
 *
 * ferrite_host.bridge.command_docs.command_info(entry point, name) describes the command as
 * plain tuples (see there); this file turns them into the documented structures of
 * RedisModuleCommandInfo version 1. Redis copies everything it is given, so the structures
 * are freed after the call.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <string.h>

#include "redis_module_api.h"

typedef struct RedisModuleCommand RedisModuleCommand;

typedef struct {
    int version;
    size_t sizeof_historyentry;
    size_t sizeof_keyspec;
    size_t sizeof_arg;
} RMCommandInfoVersion;

typedef struct {
    const char *since;
    const char *changes;
} RMCommandHistoryEntry;

typedef struct {
    const char *notes;
    uint64_t flags;
    int begin_search_type; /* 0 invalid (the end), 1 unknown, 2 index, 3 keyword */
    union {
        struct {
            int pos;
        } index;
        struct {
            const char *keyword;
            int startfrom;
        } keyword;
    } bs;
    int find_keys_type; /* 0 omitted, 1 unknown, 2 range, 3 keynum */
    union {
        struct {
            int lastkey;
            int keystep;
            int limit;
        } range;
        struct {
            int keynumidx;
            int firstkey;
            int keystep;
        } keynum;
    } fk;
} RMCommandKeySpec;

typedef struct RMCommandArg {
    const char *name;
    int type; /* string, integer, double, key, pattern, unix-time, pure-token, oneof, block */
    int key_spec_index;
    const char *token;
    const char *summary;
    const char *since;
    int flags; /* optional 1, multiple 2, multiple-token 4 */
    const char *deprecated_since;
    struct RMCommandArg *subargs;
    const char *display_text;
} RMCommandArg;

typedef struct {
    const RMCommandInfoVersion *version;
    const char *summary;
    const char *complexity;
    const char *since;
    RMCommandHistoryEntry *history;
    const char *tips;
    int arity;
    RMCommandKeySpec *key_specs;
    RMCommandArg *args;
} RMCommandInfo;

static const RMCommandInfoVersion info_version = {1, sizeof(RMCommandHistoryEntry),
                                                  sizeof(RMCommandKeySpec), sizeof(RMCommandArg)};

typedef int (*GetApiFunc)(const char *name, void *target);
static RedisModuleCommand *(*RM_GetCommand)(RedisModuleCtx *, const char *) = NULL;
static int (*RM_SetCommandInfo)(RedisModuleCommand *, const RMCommandInfo *) = NULL;

int ferrite_command_info_fetch_api(RedisModuleCtx *ctx) {
    GetApiFunc get_api = (GetApiFunc)((void **)ctx)[0];
    if (get_api("RedisModule_GetCommand", (void *)&RM_GetCommand) != RM_OK) RM_GetCommand = NULL;
    if (get_api("RedisModule_SetCommandInfo", (void *)&RM_SetCommandInfo) != RM_OK)
        RM_SetCommandInfo = NULL;
    return RM_GetCommand && RM_SetCommandInfo ? RM_OK : RM_ERR;
}

/* A str or None as a C string valid while the object lives; NULL for None. */
static const char *text_or_null(PyObject *value) {
    return value == Py_None ? NULL : PyUnicode_AsUTF8(value);
}

static void free_args(RMCommandArg *args) {
    if (!args) return;
    for (RMCommandArg *arg = args; arg->name; arg++) free_args(arg->subargs);
    PyMem_RawFree(args);
}

/* [(name, type, key_spec_index, token, summary, since, flags, deprecated_since,
 *   display_text, [subargs])] -> a zero-terminated array, or NULL with an exception. */
static RMCommandArg *build_args(PyObject *list) {
    Py_ssize_t count = PyList_Size(list);
    if (count < 0) return NULL;
    RMCommandArg *args = PyMem_RawCalloc((size_t)count + 1, sizeof *args);
    if (!args) return (RMCommandArg *)PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *name, *token, *summary, *since, *deprecated, *display, *subargs;
        RMCommandArg *arg = &args[i];
        if (!PyArg_ParseTuple(PyList_GET_ITEM(list, i), "UiiOOOiOOO!", &name, &arg->type,
                              &arg->key_spec_index, &token, &summary, &since, &arg->flags,
                              &deprecated, &display, &PyList_Type, &subargs)) {
            free_args(args);
            return NULL;
        }
        arg->name = PyUnicode_AsUTF8(name);
        arg->token = text_or_null(token);
        arg->summary = text_or_null(summary);
        arg->since = text_or_null(since);
        arg->deprecated_since = text_or_null(deprecated);
        arg->display_text = text_or_null(display);
        if (PyList_GET_SIZE(subargs)) {
            arg->subargs = build_args(subargs);
            if (!arg->subargs) {
                free_args(args);
                return NULL;
            }
        }
        if (PyErr_Occurred()) {
            free_args(args);
            return NULL;
        }
    }
    return args;
}

/* [(notes, flags, bs type, bs index or keyword, bs startfrom, fk type, a, b, c)] */
static RMCommandKeySpec *build_key_specs(PyObject *list) {
    Py_ssize_t count = PyList_Size(list);
    if (count < 0) return NULL;
    RMCommandKeySpec *specs = PyMem_RawCalloc((size_t)count + 1, sizeof *specs);
    if (!specs) return (RMCommandKeySpec *)PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *notes, *begin;
        unsigned long long flags;
        int startfrom, a, b, c;
        RMCommandKeySpec *spec = &specs[i];
        if (!PyArg_ParseTuple(PyList_GET_ITEM(list, i), "OKiOiiiii", &notes, &flags,
                              &spec->begin_search_type, &begin, &startfrom,
                              &spec->find_keys_type, &a, &b, &c)) {
            PyMem_RawFree(specs);
            return NULL;
        }
        spec->notes = text_or_null(notes);
        spec->flags = flags;
        if (spec->begin_search_type == 3) {
            spec->bs.keyword.keyword = PyUnicode_AsUTF8(begin);
            spec->bs.keyword.startfrom = startfrom;
        } else {
            spec->bs.index.pos = (int)PyLong_AsLong(begin);
        }
        if (spec->find_keys_type == 3) {
            spec->fk.keynum.keynumidx = a;
            spec->fk.keynum.firstkey = b;
            spec->fk.keynum.keystep = c;
        } else {
            spec->fk.range.lastkey = a;
            spec->fk.range.keystep = b;
            spec->fk.range.limit = c;
        }
        if (PyErr_Occurred()) {
            PyMem_RawFree(specs);
            return NULL;
        }
    }
    return specs;
}

/* With the GIL, in OnLoad after RM_CreateCommand: RM_OK (also when there is nothing to
 * send or the server lacks the API), RM_ERR when Redis refused the metadata (the reason
 * is in `reason`). */
int ferrite_set_command_info(RedisModuleCtx *ctx, const char *entry_point, const char *name,
                             char *reason, size_t reason_size) {
    if (!RM_GetCommand || !RM_SetCommandInfo) return RM_OK;
    PyObject *docs = PyImport_ImportModule("ferrite_host.bridge.command_docs");
    PyObject *described = docs ? PyObject_CallMethod(docs, "command_info", "ss", entry_point,
                                                      name)
                               : NULL;
    Py_XDECREF(docs);
    if (!described) {
        snprintf(reason, reason_size, "describing command '%s' failed in Python", name);
        PyErr_Clear();
        return RM_ERR;
    }
    int result = RM_OK;
    if (described != Py_None) {
        PyObject *summary, *complexity, *since, *specs, *args;
        RMCommandInfo info = {0};
        info.version = &info_version;
        if (!PyArg_ParseTuple(described, "OOOiO!O!", &summary, &complexity, &since, &info.arity,
                              &PyList_Type, &specs, &PyList_Type, &args)) {
            result = RM_ERR;
        } else {
            info.summary = text_or_null(summary);
            info.complexity = text_or_null(complexity);
            info.since = text_or_null(since);
            info.key_specs = PyList_GET_SIZE(specs) ? build_key_specs(specs) : NULL;
            info.args = PyList_GET_SIZE(args) ? build_args(args) : NULL;
            RedisModuleCommand *command = RM_GetCommand(ctx, name);
            if (PyErr_Occurred() || !command || RM_SetCommandInfo(command, &info) != RM_OK)
                result = RM_ERR;
            PyMem_RawFree(info.key_specs);
            free_args(info.args);
        }
        if (result != RM_OK)
            snprintf(reason, reason_size,
                     "Redis refused the COMMAND INFO/DOCS metadata of command '%s' (arity, "
                     "key specs or arguments are invalid)",
                     name);
        PyErr_Clear();
    }
    Py_DECREF(described);
    return result;
}
