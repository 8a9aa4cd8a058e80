/*
 * The Ferrite bridge: a Redis module that embeds CPython and runs Ferrite modules (Python
 * distributions with a `ferrite.modules` entry point) inside an unmodified redis-server.
 *
 *   redis-server --loadmodule <this .so> venv=<dir> <entry point> [args...]
 *
 * One interpreter serves every loadmodule line for the life of the server: it is never
 * finalized and this .so is never unmapped (the interpreter, its types and the fork
 * handlers point into it), so MODULE UNLOAD is refused. Every entry from Redis (commands,
 * type callbacks, fork handlers, OnLoad) takes the GIL and gives it back, which lets Redis
 * free module values on its background threads. The Python half of the contract lives in
 * ferrite_host.bridge.runtime; this file only moves values between the two APIs.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "redis_module_api.h"

#ifndef FERRITE_LIBPYTHON
#define FERRITE_LIBPYTHON ""
#endif
#ifndef FERRITE_DEFAULT_VENV
#define FERRITE_DEFAULT_VENV ""
#endif

/* ---- the Redis Module API, fetched through RedisModule_GetApi -------------------------- */

#define DECLARE_POINTER(ret, name, params) static ret(*RM_##name) params = NULL;
FERRITE_RM_FUNCTIONS(DECLARE_POINTER)
#undef DECLARE_POINTER

typedef int (*GetApiFunc)(const char *name, void *target);

static int fetch_api(RedisModuleCtx *ctx) {
    static int fetched = 0;
    if (fetched) return RM_OK;
    GetApiFunc get_api = (GetApiFunc)((void **)ctx)[0];
    int missing = 0;
#define FETCH(ret, name, params)                                                             \
    if (get_api("RedisModule_" #name, (void *)&RM_##name) != RM_OK) {                        \
        RM_##name = NULL;                                                                    \
        missing++;                                                                           \
    }
    FERRITE_RM_FUNCTIONS(FETCH)
#undef FETCH
    ferrite_blocking_fetch_api(ctx); /* bridge_blocking.c's own functions */
    if (RM_SetModuleAttribs == NULL || RM_CreateCommand == NULL || RM_Log == NULL) return RM_ERR;
    if (ferrite_command_info_fetch_api(ctx) != RM_OK)
        RM_Log(ctx, "notice", "ferrite bridge: RedisModule_SetCommandInfo is not available: "
                              "COMMAND DOCS shows no metadata of module commands");
    if (missing) RM_Log(ctx, "warning", "ferrite bridge: %d Module API functions are missing "
                                        "on this server; modules using them get an error", missing);
    fetched = 1;
    return RM_OK;
}

/* ---- the interpreter ------------------------------------------------------------------- */

static int interpreter_ready = 0;
static PyObject *runtime = NULL;            /* ferrite_host.bridge.runtime */
static PyObject *py_type_save = NULL, *py_type_load = NULL, *py_type_aof = NULL;
static PyObject *py_type_mem = NULL, *py_type_digest = NULL, *py_type_free = NULL;
static PyObject *py_type_copy = NULL;
static PyObject *py_timer_fired = NULL, *py_keyspace_event = NULL, *py_server_event = NULL;
static PyObject *py_info_sections = NULL, *py_config_get = NULL, *py_config_set = NULL;
static PyGILState_STATE fork_gil;

/* The exception being raised, as one log line (the exception is cleared). */
static void log_python_error(RedisModuleCtx *ctx, const char *where) {
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    PyErr_NormalizeException(&type, &value, &traceback);
    const char *text = "unknown error";
    PyObject *str = value ? PyObject_Str(value) : NULL;
    if (str) text = PyUnicode_AsUTF8(str);
    const char *kind = type ? ((PyTypeObject *)type)->tp_name : "Error";
    RM_Log(ctx, "warning", "ferrite bridge: %s: %s: %s", where, kind, text ? text : "?");
    Py_XDECREF(str);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(traceback);
    PyErr_Clear();
}

static void before_fork(void) {
    if (!interpreter_ready) return;
    fork_gil = PyGILState_Ensure();
    PyOS_BeforeFork();
}

static void after_fork_parent(void) {
    if (!interpreter_ready) return;
    PyOS_AfterFork_Parent();
    PyGILState_Release(fork_gil);
}

static void after_fork_child(void) {
    if (!interpreter_ready) return;
    PyOS_AfterFork_Child();
    PyGILState_Release(fork_gil);
}

static PyObject *native_module(void);
static void gil_started(PyThreadState *tstate);
static void loop_event(uint64_t subevent);
static void subscribe_loop_hook(RedisModuleCtx *ctx);

static PyObject *runtime_function(const char *name) {
    PyObject *function = PyObject_GetAttrString(runtime, name);
    return function;
}

/* Keep this .so and libpython mapped for good, with libpython's symbols global so that
 * C extensions (even the standard library's) resolve against it. */
static int pin_libraries(RedisModuleCtx *ctx) {
    Dl_info self;
    if (dladdr((void *)&pin_libraries, &self) && self.dli_fname) {
        if (!dlopen(self.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE)) {
            RM_Log(ctx, "warning", "ferrite bridge: cannot pin %s: %s", self.dli_fname, dlerror());
            return RM_ERR;
        }
    }
    if (FERRITE_LIBPYTHON[0]) {
        void *python = dlopen(FERRITE_LIBPYTHON, RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE);
        if (!python) {
            RM_Log(ctx, "warning", "ferrite bridge: cannot load %s: %s", FERRITE_LIBPYTHON,
                   dlerror());
            return RM_ERR;
        }
    }
    return RM_OK;
}

/* Python's raw allocator and pymalloc's arenas on Redis's allocator, so used_memory (and
 * maxmemory) see the Python heap. Installed before the interpreter allocates anything. */
static void *raw_malloc(void *unused, size_t size) {
    (void)unused;
    return RM_Alloc(size ? size : 1);
}

static void *raw_calloc(void *unused, size_t count, size_t size) {
    (void)unused;
    return RM_Calloc(count ? count : 1, size ? size : 1);
}

static void *raw_realloc(void *unused, void *pointer, size_t size) {
    (void)unused;
    return RM_Realloc(pointer, size ? size : 1);
}

static void raw_free(void *unused, void *pointer) {
    (void)unused;
    if (pointer) RM_Free(pointer);
}

static void *arena_alloc(void *unused, size_t size) {
    (void)unused;
    return RM_Alloc(size);
}

static void arena_free(void *unused, void *pointer, size_t size) {
    (void)unused;
    (void)size;
    RM_Free(pointer);
}

static void route_python_memory(void) {
    if (!RM_Alloc || !RM_Calloc || !RM_Realloc || !RM_Free) return;
    PyMemAllocatorEx raw = {NULL, raw_malloc, raw_calloc, raw_realloc, raw_free};
    PyMem_SetAllocator(PYMEM_DOMAIN_RAW, &raw);
    PyObjectArenaAllocator arenas = {NULL, arena_alloc, arena_free};
    PyObject_SetArenaAllocator(&arenas);
}

static int start_interpreter(RedisModuleCtx *ctx, const char *venv) {
    char executable[4200];
    snprintf(executable, sizeof executable, "%s/bin/python", venv);
    if (access(executable, X_OK) != 0) {
        RM_Log(ctx, "warning", "ferrite bridge: %s is not an executable Python: give "
                               "venv=<directory of the virtualenv with ferrite-host>", executable);
        return RM_ERR;
    }
    if (pin_libraries(ctx) != RM_OK) return RM_ERR;
    PyPreConfig preconfig;
    PyPreConfig_InitPythonConfig(&preconfig);
    preconfig.use_environment = 0;
    preconfig.parse_argv = 0;
    PyStatus started = Py_PreInitialize(&preconfig);
    if (PyStatus_Exception(started)) {
        RM_Log(ctx, "warning", "ferrite bridge: Python did not pre-initialize: %s",
               started.err_msg ? started.err_msg : "unknown error");
        return RM_ERR;
    }
    route_python_memory(); /* documented window: after pre-init, before init */

    PyConfig config;
    PyConfig_InitPythonConfig(&config);
    config.install_signal_handlers = 0; /* Redis keeps SIGTERM, SIGINT and friends */
    config.use_environment = 0;         /* no PYTHONPATH/PYTHONHOME leaking in */
    config.parse_argv = 0;
    config.user_site_directory = 0;
    config.buffered_stdio = 0;
    char *argv[] = {"redis-server"};
    PyStatus status = PyConfig_SetBytesString(&config, &config.executable, executable);
    if (!PyStatus_Exception(status))
        status = PyConfig_SetBytesString(&config, &config.program_name, executable);
    if (!PyStatus_Exception(status)) status = PyConfig_SetBytesArgv(&config, 1, argv);
    if (!PyStatus_Exception(status)) status = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status)) {
        RM_Log(ctx, "warning", "ferrite bridge: Python did not start: %s",
               status.err_msg ? status.err_msg : "unknown error");
        return RM_ERR;
    }
    PyObject *modules = PyImport_GetModuleDict();
    PyObject *native = native_module();
    if (!native || PyDict_SetItemString(modules, "ferrite_host.bridge._native", native) < 0) {
        log_python_error(ctx, "creating the native module");
        return RM_ERR;
    }
    Py_DECREF(native);
    if (ferrite_blocking_install() < 0) {
        log_python_error(ctx, "creating the blocking native module");
        return RM_ERR;
    }
    runtime = PyImport_ImportModule("ferrite_host.bridge.runtime");
    if (!runtime) {
        log_python_error(ctx, "importing ferrite_host.bridge.runtime (is ferrite-host "
                              "installed in that venv, for this Python version?)");
        return RM_ERR;
    }
    py_type_save = runtime_function("type_save");
    py_type_load = runtime_function("type_load");
    py_type_aof = runtime_function("type_aof");
    py_type_mem = runtime_function("type_mem_usage");
    py_type_digest = runtime_function("type_digest");
    py_type_free = runtime_function("type_free");
    py_type_copy = runtime_function("type_copy");
    py_timer_fired = runtime_function("timer_fired");
    py_keyspace_event = runtime_function("keyspace_event");
    py_server_event = runtime_function("server_event");
    py_info_sections = runtime_function("info_sections");
    py_config_get = runtime_function("config_get");
    py_config_set = runtime_function("config_set");
    if (!py_type_save || !py_type_load || !py_type_aof || !py_type_mem ||
        !py_type_digest || !py_type_free || !py_type_copy || !py_timer_fired ||
        !py_keyspace_event || !py_server_event || !py_info_sections || !py_config_get ||
        !py_config_set) {
        log_python_error(ctx, "reading the runtime's entry points");
        return RM_ERR;
    }
    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
    interpreter_ready = 1;
    gil_started(PyEval_SaveThread()); /* hold the GIL only while Redis is inside Python */
    return RM_OK;
}

/* ---- module data types ----------------------------------------------------------------- */

#define MAX_TYPES 64
static RedisModuleType *types[MAX_TYPES];

/* The stored value of a bridge type is a (new reference to a) Python object that knows its
 * type handle; only rdb_load needs to be told which type it loads, hence one entry per slot. */
static void *load_slot(int slot, RedisModuleIO *io, int encver) {
    size_t length = 0;
    char *data = RM_LoadStringBuffer(io, &length);
    if (!data) return NULL;
    PyGILState_STATE gil = PyGILState_Ensure();
    PyObject *value = PyObject_CallFunction(py_type_load, "iy#i", slot, data, (Py_ssize_t)length,
                                            encver);
    RM_Free(data);
    if (!value) log_python_error(NULL, "rdb_load");
    PyGILState_Release(gil);
    return value;
}

#define SLOT_LOADER(a, b)                                                                    \
    static void *load_slot_##a##b(RedisModuleIO *io, int encver) {                           \
        return load_slot(a * 8 + b, io, encver);                                             \
    }
#define EIGHT_LOADERS(a)                                                                     \
    SLOT_LOADER(a, 0) SLOT_LOADER(a, 1) SLOT_LOADER(a, 2) SLOT_LOADER(a, 3)                  \
    SLOT_LOADER(a, 4) SLOT_LOADER(a, 5) SLOT_LOADER(a, 6) SLOT_LOADER(a, 7)
EIGHT_LOADERS(0) EIGHT_LOADERS(1) EIGHT_LOADERS(2) EIGHT_LOADERS(3)
EIGHT_LOADERS(4) EIGHT_LOADERS(5) EIGHT_LOADERS(6) EIGHT_LOADERS(7)
#define LOADER_NAMES(a)                                                                      \
    load_slot_##a##0, load_slot_##a##1, load_slot_##a##2, load_slot_##a##3, load_slot_##a##4, \
        load_slot_##a##5, load_slot_##a##6, load_slot_##a##7
static RMTypeLoadFunc slot_loaders[MAX_TYPES] = {LOADER_NAMES(0), LOADER_NAMES(1), LOADER_NAMES(2),
                                                 LOADER_NAMES(3), LOADER_NAMES(4), LOADER_NAMES(5),
                                                 LOADER_NAMES(6), LOADER_NAMES(7)};

static void type_rdb_save(RedisModuleIO *io, void *value) {
    PyGILState_STATE gil = PyGILState_Ensure();
    PyObject *data = PyObject_CallOneArg(py_type_save, (PyObject *)value);
    char *buffer = NULL;
    Py_ssize_t length = 0;
    if (!data || PyBytes_AsStringAndSize(data, &buffer, &length) < 0) {
        log_python_error(NULL, "rdb_save (the value is saved empty and will not load)");
        RM_SaveStringBuffer(io, "", 0);
    } else {
        RM_SaveStringBuffer(io, buffer, (size_t)length);
    }
    Py_XDECREF(data);
    PyGILState_Release(gil);
}

static void type_aof_rewrite(RedisModuleIO *aof, RedisModuleString *key, void *value) {
    PyGILState_STATE gil = PyGILState_Ensure();
    size_t key_length = 0;
    const char *key_name = RM_StringPtrLen(key, &key_length);
    PyObject *commands = PyObject_CallFunction(py_type_aof, "Oy#", (PyObject *)value, key_name,
                                               (Py_ssize_t)key_length);
    if (!commands) {
        log_python_error(NULL, "aof_rewrite");
        PyGILState_Release(gil);
        return;
    }
    Py_ssize_t count = PyList_Size(commands);
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *command = PyList_GET_ITEM(commands, i);
        Py_ssize_t argc = PyList_Size(command);
        if (argc < 1) continue;
        RedisModuleString **argv = PyMem_Calloc((size_t)argc, sizeof *argv);
        for (Py_ssize_t j = 1; j < argc; j++) {
            PyObject *arg = PyList_GET_ITEM(command, j);
            argv[j] = RM_CreateString(NULL, PyBytes_AS_STRING(arg), (size_t)PyBytes_GET_SIZE(arg));
        }
        RM_EmitAOF(aof, PyBytes_AS_STRING(PyList_GET_ITEM(command, 0)), "v", argv + 1,
                   (size_t)(argc - 1));
        for (Py_ssize_t j = 1; j < argc; j++) RM_FreeString(NULL, argv[j]);
        PyMem_Free(argv);
    }
    Py_DECREF(commands);
    PyGILState_Release(gil);
}

static size_t type_mem_usage(const void *value) {
    PyGILState_STATE gil = PyGILState_Ensure();
    size_t size = 0;
    PyObject *result = PyObject_CallOneArg(py_type_mem, (PyObject *)value);
    if (result) size = PyLong_AsSize_t(result);
    if (PyErr_Occurred()) {
        log_python_error(NULL, "mem_usage");
        size = 0;
    }
    Py_XDECREF(result);
    PyGILState_Release(gil);
    return size;
}

static void type_digest(RedisModuleDigest *digest, void *value) {
    PyGILState_STATE gil = PyGILState_Ensure();
    PyObject *result = PyObject_CallOneArg(py_type_digest, (PyObject *)value);
    if (!result || !PyBytes_Check(result)) {
        log_python_error(NULL, "digest");
    } else if (PyBytes_GET_SIZE(result)) {
        RM_DigestAddStringBuffer(digest, PyBytes_AS_STRING(result),
                                 (size_t)PyBytes_GET_SIZE(result));
        RM_DigestEndSequence(digest);
    }
    Py_XDECREF(result);
    PyGILState_Release(gil);
}

/* Runs on Redis's main thread, or on a lazyfree thread (FLUSHALL ASYNC): the GIL is only
 * held by whoever is inside Python at the moment, so this waits at most for one call. */
static void type_free(void *value) {
    PyGILState_STATE gil = PyGILState_Ensure();
    PyObject *result = PyObject_CallOneArg(py_type_free, (PyObject *)value);
    if (!result) log_python_error(NULL, "free");
    Py_XDECREF(result);
    Py_DECREF((PyObject *)value);
    PyGILState_Release(gil);
}

static void *type_copy(RedisModuleString *from, RedisModuleString *to, const void *value) {
    (void)from;
    (void)to;
    PyGILState_STATE gil = PyGILState_Ensure();
    PyObject *copy = PyObject_CallOneArg(py_type_copy, (PyObject *)value);
    if (!copy) log_python_error(NULL, "copy");
    PyGILState_Release(gil);
    return copy;
}

/* ---- the native module the Python runtime calls ---------------------------------------- */

static void *pointer_of(PyObject *value) {
    void *pointer = PyLong_AsVoidPtr(value);
    if (!pointer && !PyErr_Occurred())
        PyErr_SetString(PyExc_RuntimeError, "ferrite bridge: context or key is no longer valid");
    return pointer;
}

#define CTX_ARG(i)                                                                           \
    RedisModuleCtx *ctx = pointer_of(args[i]);                                               \
    if (!ctx) return NULL;
#define KEY_ARG(i)                                                                           \
    RedisModuleKey *key = pointer_of(args[i]);                                               \
    if (!key) return NULL;
#define NEED(n)                                                                              \
    if (nargs != n) {                                                                        \
        PyErr_Format(PyExc_TypeError, "expected %d arguments, got %zd", n, nargs);           \
        return NULL;                                                                         \
    }
#define MISSING(fn)                                                                          \
    if (RM_##fn == NULL) {                                                                   \
        PyErr_SetString(PyExc_NotImplementedError,                                           \
                        "RedisModule_" #fn " is not available on this Redis version");       \
        return NULL;                                                                         \
    }

static PyObject *status(int code) { return PyLong_FromLong(code); }

static int bytes_arg(PyObject *value, const char **data, Py_ssize_t *length) {
    if (!PyBytes_Check(value)) {
        PyErr_Format(PyExc_TypeError, "expected bytes, got %s", Py_TYPE(value)->tp_name);
        return -1;
    }
    *data = PyBytes_AS_STRING(value);
    *length = PyBytes_GET_SIZE(value);
    return 0;
}

#define BYTES_ARG(i, data, length)                                                           \
    const char *data;                                                                        \
    Py_ssize_t length;                                                                       \
    if (bytes_arg(args[i], &data, &length) < 0) return NULL;

static PyObject *n_reply_long_long(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(2) CTX_ARG(0);
    long long value = PyLong_AsLongLong(args[1]);
    if (value == -1 && PyErr_Occurred()) return NULL;
    return status(RM_ReplyWithLongLong(ctx, value));
}

static PyObject *n_reply_double(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(2) CTX_ARG(0);
    double value = PyFloat_AsDouble(args[1]);
    if (value == -1.0 && PyErr_Occurred()) return NULL;
    return status(RM_ReplyWithDouble(ctx, value));
}

static PyObject *n_reply_bool(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(2) CTX_ARG(0);
    MISSING(ReplyWithBool);
    return status(RM_ReplyWithBool(ctx, PyObject_IsTrue(args[1])));
}

static PyObject *n_reply_simple(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(2) CTX_ARG(0);
    BYTES_ARG(1, data, length);
    (void)length;
    return status(RM_ReplyWithSimpleString(ctx, data));
}

static PyObject *n_reply_error(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(2) CTX_ARG(0);
    BYTES_ARG(1, data, length);
    (void)length;
    return status(RM_ReplyWithError(ctx, data));
}

static PyObject *n_reply_bulk(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(2) CTX_ARG(0);
    BYTES_ARG(1, data, length);
    return status(RM_ReplyWithStringBuffer(ctx, data, (size_t)length));
}

static PyObject *n_reply_big_number(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(2) CTX_ARG(0);
    MISSING(ReplyWithBigNumber);
    BYTES_ARG(1, data, length);
    return status(RM_ReplyWithBigNumber(ctx, data, (size_t)length));
}

static PyObject *n_reply_verbatim(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(2) CTX_ARG(0);
    MISSING(ReplyWithVerbatimString);
    BYTES_ARG(1, data, length);
    return status(RM_ReplyWithVerbatimString(ctx, data, (size_t)length));
}

static PyObject *n_reply_null(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(1) CTX_ARG(0);
    return status(RM_ReplyWithNull(ctx));
}

static PyObject *n_reply_null_array(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(1) CTX_ARG(0);
    MISSING(ReplyWithNullArray);
    return status(RM_ReplyWithNullArray(ctx));
}

static PyObject *n_reply_empty_array(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(1) CTX_ARG(0);
    MISSING(ReplyWithEmptyArray);
    return status(RM_ReplyWithEmptyArray(ctx));
}

/* reply_aggregate(ctx, kind, length): kind 0 array, 1 map, 2 set; length -1 = postponed. */
static PyObject *n_reply_aggregate(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(3) CTX_ARG(0);
    long kind = PyLong_AsLong(args[1]);
    long length = PyLong_AsLong(args[2]);
    if (PyErr_Occurred()) return NULL;
    if (kind == 1) {
        MISSING(ReplyWithMap);
        return status(RM_ReplyWithMap(ctx, length));
    }
    if (kind == 2) {
        MISSING(ReplyWithSet);
        return status(RM_ReplyWithSet(ctx, length));
    }
    return status(RM_ReplyWithArray(ctx, length));
}

static PyObject *n_set_aggregate_length(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(3) CTX_ARG(0);
    long kind = PyLong_AsLong(args[1]);
    long length = PyLong_AsLong(args[2]);
    if (PyErr_Occurred()) return NULL;
    if (kind == 1) {
        MISSING(ReplySetMapLength);
        RM_ReplySetMapLength(ctx, length);
    } else if (kind == 2) {
        MISSING(ReplySetSetLength);
        RM_ReplySetSetLength(ctx, length);
    } else {
        RM_ReplySetArrayLength(ctx, length);
    }
    Py_RETURN_NONE;
}

static PyObject *n_open_key(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(3) CTX_ARG(0);
    BYTES_ARG(1, name, length);
    int mode = (int)PyLong_AsLong(args[2]);
    if (PyErr_Occurred()) return NULL;
    RedisModuleString *keyname = RM_CreateString(ctx, name, (size_t)length);
    void *key = RM_OpenKey(ctx, keyname, mode);
    if (!key) Py_RETURN_NONE;
    return PyLong_FromVoidPtr(key);
}

static PyObject *n_close_key(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(1) KEY_ARG(0);
    RM_CloseKey(key);
    Py_RETURN_NONE;
}

static PyObject *n_key_type(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(1) KEY_ARG(0);
    return PyLong_FromLong(RM_KeyType(key));
}

static PyObject *n_value_length(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(1) KEY_ARG(0);
    return PyLong_FromSize_t(RM_ValueLength(key));
}

static PyObject *n_string_set(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(3) CTX_ARG(0);
    RedisModuleKey *key = pointer_of(args[1]);
    if (!key) return NULL;
    BYTES_ARG(2, data, length);
    RedisModuleString *value = RM_CreateString(ctx, data, (size_t)length);
    int result = RM_StringSet(key, value);
    RM_FreeString(ctx, value);
    return status(result);
}

/* string_dma(key, mode): a memoryview on the value inside Redis (writable with WRITE);
 * None for a value that is not a string. Valid only while the key stays open. */
static PyObject *n_string_dma(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(2) KEY_ARG(0);
    int mode = (int)PyLong_AsLong(args[1]);
    if (PyErr_Occurred()) return NULL;
    size_t length = 0;
    char *data = RM_StringDMA(key, &length, mode);
    if (!data) Py_RETURN_NONE;
    if (length == 0) return PyMemoryView_FromMemory(data, 0, PyBUF_READ);
    return PyMemoryView_FromMemory(data, (Py_ssize_t)length,
                                   (mode & RM_WRITE) ? PyBUF_WRITE : PyBUF_READ);
}

static PyObject *n_string_get(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(1) KEY_ARG(0);
    size_t length = 0;
    char *data = RM_StringDMA(key, &length, RM_READ);
    if (!data) Py_RETURN_NONE;
    return PyBytes_FromStringAndSize(data, (Py_ssize_t)length);
}

static PyObject *n_string_truncate(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(2) KEY_ARG(0);
    size_t length = PyLong_AsSize_t(args[1]);
    if (PyErr_Occurred()) return NULL;
    return status(RM_StringTruncate(key, length));
}

static PyObject *n_delete_key(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(1) KEY_ARG(0);
    return status(RM_DeleteKey(key));
}

static PyObject *n_get_expire(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(1) KEY_ARG(0);
    return PyLong_FromLongLong(RM_GetExpire(key));
}

static PyObject *n_set_expire(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(2) KEY_ARG(0);
    long long ms = PyLong_AsLongLong(args[1]);
    if (PyErr_Occurred()) return NULL;
    return status(RM_SetExpire(key, ms));
}

static PyObject *n_type_set_value(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(3) KEY_ARG(0);
    long slot = PyLong_AsLong(args[1]);
    if (PyErr_Occurred()) return NULL;
    if (slot < 0 || slot >= MAX_TYPES || types[slot] == NULL) {
        PyErr_SetString(PyExc_ValueError, "ferrite bridge: no such data type slot");
        return NULL;
    }
    Py_INCREF(args[2]);
    int result = RM_ModuleTypeSetValue(key, types[slot], args[2]);
    if (result != RM_OK) Py_DECREF(args[2]);
    return status(result);
}

/* The slot of the bridge type stored at the key, or -1 (empty, or any other type). */
static PyObject *n_type_slot(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(1) KEY_ARG(0);
    if (RM_KeyType(key) != RM_KEYTYPE_MODULE) return PyLong_FromLong(-1);
    RedisModuleType *type = RM_ModuleTypeGetType(key);
    for (int slot = 0; slot < MAX_TYPES; slot++)
        if (types[slot] != NULL && types[slot] == type) return PyLong_FromLong(slot);
    return PyLong_FromLong(-1);
}

static PyObject *n_type_get_value(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(1) KEY_ARG(0);
    PyObject *value = RM_ModuleTypeGetValue(key);
    if (!value) Py_RETURN_NONE;
    Py_INCREF(value);
    return value;
}

static PyObject *call_reply_to_python(RedisModuleCallReply *reply);

static PyObject *call_reply_to_python(RedisModuleCallReply *reply) {
    if (!reply) Py_RETURN_NONE;
    size_t length = 0;
    const char *data;
    switch (RM_CallReplyType(reply)) {
    case RM_REPLY_STRING:
        data = RM_CallReplyStringPtr(reply, &length);
        return PyBytes_FromStringAndSize(data, (Py_ssize_t)length);
    case RM_REPLY_ERROR:
        data = RM_CallReplyStringPtr(reply, &length);
        return Py_BuildValue("(iy#)", RM_REPLY_ERROR, data, (Py_ssize_t)length);
    case RM_REPLY_INTEGER:
        return PyLong_FromLongLong(RM_CallReplyInteger(reply));
    case RM_REPLY_ARRAY: {
        size_t count = RM_CallReplyLength(reply);
        PyObject *list = PyList_New((Py_ssize_t)count);
        for (size_t i = 0; list && i < count; i++) {
            PyObject *item = call_reply_to_python(RM_CallReplyArrayElement(reply, i));
            if (!item) {
                Py_DECREF(list);
                return NULL;
            }
            PyList_SET_ITEM(list, (Py_ssize_t)i, item);
        }
        return list;
    }
    case RM_REPLY_NULL:
        Py_RETURN_NONE;
    default:
        PyErr_SetString(PyExc_NotImplementedError, "ferrite bridge: unexpected call reply type");
        return NULL;
    }
}

/* Strings for argv[1:] (argv[0] is the command name), created in ctx and freed by the caller. */
static RedisModuleString **string_vector(RedisModuleCtx *ctx, PyObject *list, Py_ssize_t *count) {
    Py_ssize_t argc = PyList_Size(list);
    if (argc < 1) {
        PyErr_SetString(PyExc_ValueError, "a command needs a name");
        return NULL;
    }
    RedisModuleString **argv = PyMem_Calloc((size_t)argc, sizeof *argv);
    for (Py_ssize_t i = 1; i < argc; i++) {
        PyObject *arg = PyList_GET_ITEM(list, i);
        if (!PyBytes_Check(arg)) {
            for (Py_ssize_t j = 1; j < i; j++) RM_FreeString(ctx, argv[j]);
            PyMem_Free(argv);
            PyErr_SetString(PyExc_TypeError, "command arguments must be bytes");
            return NULL;
        }
        argv[i] = RM_CreateString(ctx, PyBytes_AS_STRING(arg), (size_t)PyBytes_GET_SIZE(arg));
    }
    *count = argc;
    return argv;
}

static void free_vector(RedisModuleCtx *ctx, RedisModuleString **argv, Py_ssize_t count) {
    for (Py_ssize_t i = 1; i < count; i++) RM_FreeString(ctx, argv[i]);
    PyMem_Free(argv);
}

/* call(ctx, [name, args...], flags): RedisModule_Call with errors as replies ("E") and the
 * format flags in `flags` (checked by the runtime: "!ARC3SWM0"); an error comes back as the
 * tuple (1, text) for the runtime to wrap. */
static PyObject *n_call(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(3) CTX_ARG(0);
    const char *flags = PyUnicode_AsUTF8(args[2]);
    if (!flags) return NULL;
    char format[32] = "Ev";
    if (strlen(flags) > sizeof(format) - 3) {
        PyErr_SetString(PyExc_ValueError, "too many call flags");
        return NULL;
    }
    strcat(format, flags);
    Py_ssize_t count = 0;
    RedisModuleString **argv = string_vector(ctx, args[1], &count);
    if (!argv) return NULL;
    PyObject *name = PyList_GET_ITEM(args[1], 0);
    RedisModuleCallReply *reply =
        RM_Call(ctx, PyBytes_AS_STRING(name), format, argv + 1, (size_t)(count - 1));
    free_vector(ctx, argv, count);
    if (!reply) return Py_BuildValue("(is)", RM_REPLY_ERROR, "ERR command could not be called");
    PyObject *result = call_reply_to_python(reply);
    RM_FreeCallReply(reply);
    return result;
}

static PyObject *n_replicate(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(2) CTX_ARG(0);
    Py_ssize_t count = 0;
    RedisModuleString **argv = string_vector(ctx, args[1], &count);
    if (!argv) return NULL;
    PyObject *name = PyList_GET_ITEM(args[1], 0);
    int result = RM_Replicate(ctx, PyBytes_AS_STRING(name), "v", argv + 1, (size_t)(count - 1));
    free_vector(ctx, argv, count);
    return status(result);
}

static PyObject *n_replicate_verbatim(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(1) CTX_ARG(0);
    return status(RM_ReplicateVerbatim(ctx));
}

static PyObject *n_selected_db(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(1) CTX_ARG(0);
    return PyLong_FromLong(RM_GetSelectedDb(ctx));
}

static PyObject *n_select_db(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(2) CTX_ARG(0);
    long index = PyLong_AsLong(args[1]);
    if (PyErr_Occurred()) return NULL;
    return status(RM_SelectDb(ctx, (int)index));
}

static PyObject *n_client_id(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(1) CTX_ARG(0);
    return PyLong_FromUnsignedLongLong(RM_GetClientId(ctx));
}

static PyObject *n_resp3(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(1) CTX_ARG(0);
    return PyBool_FromLong(RM_GetContextFlags(ctx) & RM_CTX_FLAGS_RESP3);
}

/* log(level, message): Redis's log, under the bridge's name. */
static PyObject *n_log(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(2);
    const char *level = PyUnicode_AsUTF8(args[0]);
    const char *message = PyUnicode_AsUTF8(args[1]);
    if (!level || !message) return NULL;
    RM_Log(NULL, level, "%s", message);
    Py_RETURN_NONE;
}

/* ---- collection keys: lists, hashes, sorted sets ---------------------------------------- */

/* Each answers its result with C's errno after the call, as Redis reports the reason. */

static PyObject *string_or_none(RedisModuleCtx *ctx, RedisModuleString *value) {
    if (!value) Py_RETURN_NONE;
    size_t length = 0;
    const char *data = RM_StringPtrLen(value, &length);
    PyObject *result = PyBytes_FromStringAndSize(data, (Py_ssize_t)length);
    RM_FreeString(ctx, value);
    return result;
}

/* list_push(ctx, key, where, element) -> (status, errno) */
static PyObject *n_list_push(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(4) CTX_ARG(0) KEY_ARG(1);
    MISSING(ListPush);
    int where = (int)PyLong_AsLong(args[2]);
    if (PyErr_Occurred()) return NULL;
    BYTES_ARG(3, data, length);
    RedisModuleString *element = RM_CreateString(ctx, data, (size_t)length);
    errno = 0;
    int result = RM_ListPush(key, where, element);
    int code = errno;
    RM_FreeString(ctx, element);
    return Py_BuildValue("(ii)", result, code);
}

/* list_pop(ctx, key, where) -> (element or None, errno) */
static PyObject *n_list_pop(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(3) CTX_ARG(0) KEY_ARG(1);
    MISSING(ListPop);
    int where = (int)PyLong_AsLong(args[2]);
    if (PyErr_Occurred()) return NULL;
    errno = 0;
    RedisModuleString *element = RM_ListPop(key, where);
    int code = errno;
    PyObject *value = string_or_none(ctx, element);
    return value ? Py_BuildValue("(Ni)", value, code) : NULL;
}

/* list_get(ctx, key, index) -> (element or None, errno) */
static PyObject *n_list_get(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(3) CTX_ARG(0) KEY_ARG(1);
    MISSING(ListGet);
    long index = PyLong_AsLong(args[2]);
    if (PyErr_Occurred()) return NULL;
    errno = 0;
    RedisModuleString *element = RM_ListGet(key, index);
    int code = errno;
    PyObject *value = string_or_none(ctx, element);
    return value ? Py_BuildValue("(Ni)", value, code) : NULL;
}

/* list_edit(ctx, key, op, index, element or None) -> (status, errno); op 0 set, 1 insert,
 * 2 delete. */
static PyObject *n_list_edit(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(5) CTX_ARG(0) KEY_ARG(1);
    MISSING(ListSet);
    MISSING(ListInsert);
    MISSING(ListDelete);
    long op = PyLong_AsLong(args[2]);
    long index = PyLong_AsLong(args[3]);
    if (PyErr_Occurred()) return NULL;
    RedisModuleString *element = NULL;
    if (op != 2) {
        BYTES_ARG(4, data, length);
        element = RM_CreateString(ctx, data, (size_t)length);
    }
    errno = 0;
    int result = op == 0   ? RM_ListSet(key, index, element)
                 : op == 1 ? RM_ListInsert(key, index, element)
                           : RM_ListDelete(key, index);
    int code = errno;
    if (element) RM_FreeString(ctx, element);
    return Py_BuildValue("(ii)", result, code);
}

/* hash_set(ctx, key, flags, [field, value or None (delete), ...]) -> (count, errno): one
 * RedisModule_HashSet per pair (the variadic call cannot be built at run time). Its errors
 * (flags, type, mode) are checked by the runtime first: a 0 count is no error by itself. */
static PyObject *n_hash_set(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(4) CTX_ARG(0) KEY_ARG(1);
    MISSING(HashSet);
    int flags = (int)PyLong_AsLong(args[2]) & ~RM_HASH_CFIELDS;
    if (PyErr_Occurred()) return NULL;
    PyObject *pairs = args[3];
    Py_ssize_t count = PyList_Size(pairs);
    if (count < 0) return NULL;
    errno = 0;
    if (count == 0) {
        int result = RM_HashSet(key, flags, NULL);
        return Py_BuildValue("(ii)", result, errno);
    }
    long total = 0;
    for (Py_ssize_t i = 0; i + 1 < count; i += 2) {
        const char *data;
        Py_ssize_t length;
        if (bytes_arg(PyList_GET_ITEM(pairs, i), &data, &length) < 0) return NULL;
        RedisModuleString *field = RM_CreateString(ctx, data, (size_t)length);
        RedisModuleString *value = RM_HASH_DELETE;
        PyObject *given = PyList_GET_ITEM(pairs, i + 1);
        if (given != Py_None) {
            if (bytes_arg(given, &data, &length) < 0) {
                RM_FreeString(ctx, field);
                return NULL;
            }
            value = RM_CreateString(ctx, data, (size_t)length);
        }
        int changed = RM_HashSet(key, flags, field, value, NULL);
        RM_FreeString(ctx, field);
        if (value != RM_HASH_DELETE) RM_FreeString(ctx, value);
        total += changed;
    }
    return Py_BuildValue("(li)", total, 0);
}

/* hash_get(ctx, key, flags, [field, ...]) -> ([value or None | bool, ...] or None, errno) */
static PyObject *n_hash_get(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(4) CTX_ARG(0) KEY_ARG(1);
    MISSING(HashGet);
    int flags = (int)PyLong_AsLong(args[2]) & ~RM_HASH_CFIELDS;
    if (PyErr_Occurred()) return NULL;
    Py_ssize_t count = PyList_Size(args[3]);
    if (count < 0) return NULL;
    PyObject *values = PyList_New(count);
    if (!values) return NULL;
    for (Py_ssize_t i = 0; i < count; i++) {
        const char *data;
        Py_ssize_t length;
        if (bytes_arg(PyList_GET_ITEM(args[3], i), &data, &length) < 0) {
            Py_DECREF(values);
            return NULL;
        }
        RedisModuleString *field = RM_CreateString(ctx, data, (size_t)length);
        errno = 0;
        PyObject *item;
        int result;
        if (flags & RM_HASH_EXISTS) {
            int exists = 0;
            result = RM_HashGet(key, flags, field, &exists, NULL);
            item = PyBool_FromLong(exists);
        } else {
            RedisModuleString *value = NULL;
            result = RM_HashGet(key, flags, field, &value, NULL);
            item = string_or_none(ctx, value);
        }
        int code = errno;
        RM_FreeString(ctx, field);
        if (!item) {
            Py_DECREF(values);
            return NULL;
        }
        if (result != RM_OK) {
            Py_DECREF(item);
            Py_DECREF(values);
            return Py_BuildValue("(Oi)", Py_None, code);
        }
        PyList_SET_ITEM(values, i, item);
    }
    return Py_BuildValue("(Ni)", values, 0);
}

/* zset_add(ctx, key, score, member, flags, incr) -> (status, output flags, new score or None) */
static PyObject *n_zset_add(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(6) CTX_ARG(0) KEY_ARG(1);
    MISSING(ZsetAdd);
    MISSING(ZsetIncrby);
    double score = PyFloat_AsDouble(args[2]);
    int flags = (int)PyLong_AsLong(args[4]);
    int incr = PyObject_IsTrue(args[5]);
    if (PyErr_Occurred()) return NULL;
    BYTES_ARG(3, data, length);
    RedisModuleString *member = RM_CreateString(ctx, data, (size_t)length);
    double updated = 0;
    int result = incr ? RM_ZsetIncrby(key, score, member, &flags, &updated)
                      : RM_ZsetAdd(key, score, member, &flags);
    RM_FreeString(ctx, member);
    if (incr && result == RM_OK) return Py_BuildValue("(iid)", result, flags, updated);
    return Py_BuildValue("(iiO)", result, result == RM_OK ? flags : 0, Py_None);
}

/* zset_member(ctx, key, op, member) -> op 0 remove: (status, deleted); op 1 score: the
 * score or None. */
static PyObject *n_zset_member(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(4) CTX_ARG(0) KEY_ARG(1);
    MISSING(ZsetRem);
    MISSING(ZsetScore);
    long op = PyLong_AsLong(args[2]);
    if (PyErr_Occurred()) return NULL;
    BYTES_ARG(3, data, length);
    RedisModuleString *member = RM_CreateString(ctx, data, (size_t)length);
    PyObject *answer;
    if (op == 0) {
        int deleted = 0;
        int result = RM_ZsetRem(key, member, &deleted);
        answer = Py_BuildValue("(iO)", result, deleted ? Py_True : Py_False);
    } else {
        double score = 0;
        answer = RM_ZsetScore(key, member, &score) == RM_OK ? PyFloat_FromDouble(score)
                                                            : Py_NewRef(Py_None);
    }
    RM_FreeString(ctx, member);
    return answer;
}

/* zset_score_range(key, last, low, high, low_exclusive, high_exclusive) -> status */
static PyObject *n_zset_score_range(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(6) KEY_ARG(0);
    MISSING(ZsetFirstInScoreRange);
    int last = PyObject_IsTrue(args[1]);
    double low = PyFloat_AsDouble(args[2]);
    double high = PyFloat_AsDouble(args[3]);
    int low_ex = PyObject_IsTrue(args[4]);
    int high_ex = PyObject_IsTrue(args[5]);
    if (PyErr_Occurred()) return NULL;
    return status(last ? RM_ZsetLastInScoreRange(key, low, high, low_ex, high_ex)
                       : RM_ZsetFirstInScoreRange(key, low, high, low_ex, high_ex));
}

/* zset_lex_range(ctx, key, last, low, high) -> status */
static PyObject *n_zset_lex_range(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(5) CTX_ARG(0) KEY_ARG(1);
    MISSING(ZsetFirstInLexRange);
    int last = PyObject_IsTrue(args[2]);
    BYTES_ARG(3, low_data, low_length);
    BYTES_ARG(4, high_data, high_length);
    RedisModuleString *low = RM_CreateString(ctx, low_data, (size_t)low_length);
    RedisModuleString *high = RM_CreateString(ctx, high_data, (size_t)high_length);
    int result = last ? RM_ZsetLastInLexRange(key, low, high)
                      : RM_ZsetFirstInLexRange(key, low, high);
    RM_FreeString(ctx, low);
    RM_FreeString(ctx, high);
    return status(result);
}

/* zset_current(ctx, key) -> (member, score) or None */
static PyObject *n_zset_current(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(2) CTX_ARG(0) KEY_ARG(1);
    MISSING(ZsetRangeCurrentElement);
    double score = 0;
    RedisModuleString *member = RM_ZsetRangeCurrentElement(key, &score);
    if (!member) Py_RETURN_NONE;
    PyObject *name = string_or_none(ctx, member);
    return name ? Py_BuildValue("(Nd)", name, score) : NULL;
}

/* zset_step(key, op) -> int; op 0 next, 1 prev, 2 end reached, 3 stop */
static PyObject *n_zset_step(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(2) KEY_ARG(0);
    MISSING(ZsetRangeNext);
    long op = PyLong_AsLong(args[1]);
    if (PyErr_Occurred()) return NULL;
    switch (op) {
    case 0:
        return PyBool_FromLong(RM_ZsetRangeNext(key));
    case 1:
        return PyBool_FromLong(RM_ZsetRangePrev(key));
    case 2:
        return PyBool_FromLong(RM_ZsetRangeEndReached(key));
    default:
        RM_ZsetRangeStop(key);
        Py_RETURN_NONE;
    }
}

/* ---- context queries, pub/sub, keyspace notifications ----------------------------------- */

static PyObject *n_context_flags(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(1) CTX_ARG(0);
    return PyLong_FromLong(RM_GetContextFlags(ctx));
}

static PyObject *n_key_exists(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(2) CTX_ARG(0);
    MISSING(KeyExists);
    BYTES_ARG(1, data, length);
    RedisModuleString *name = RM_CreateString(ctx, data, (size_t)length);
    int exists = RM_KeyExists(ctx, name);
    RM_FreeString(ctx, name);
    return PyBool_FromLong(exists);
}

static PyObject *n_milliseconds(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(0);
    MISSING(Milliseconds);
    return PyLong_FromLongLong(RM_Milliseconds());
}

static PyObject *n_random_bytes(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(1);
    MISSING(GetRandomBytes);
    Py_ssize_t length = PyLong_AsSsize_t(args[0]);
    if (length < 0) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "length must be >= 0");
        return NULL;
    }
    PyObject *bytes = PyBytes_FromStringAndSize(NULL, length);
    if (bytes && length) RM_GetRandomBytes((unsigned char *)PyBytes_AS_STRING(bytes), (size_t)length);
    return bytes;
}

static PyObject *n_used_memory_ratio(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(0);
    MISSING(GetUsedMemoryRatio);
    return PyFloat_FromDouble((double)RM_GetUsedMemoryRatio());
}

static PyObject *n_publish(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(3) CTX_ARG(0);
    MISSING(PublishMessage);
    BYTES_ARG(1, channel_data, channel_length);
    BYTES_ARG(2, message_data, message_length);
    RedisModuleString *channel = RM_CreateString(ctx, channel_data, (size_t)channel_length);
    RedisModuleString *message = RM_CreateString(ctx, message_data, (size_t)message_length);
    int receivers = RM_PublishMessage(ctx, channel, message);
    RM_FreeString(ctx, channel);
    RM_FreeString(ctx, message);
    return PyLong_FromLong(receivers);
}

/* yield(ctx, flags, busy reply or None): RM_Yield, other clients answered -BUSY meanwhile. */
static PyObject *n_yield_(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(3) CTX_ARG(0);
    MISSING(Yield);
    int flags = (int)PyLong_AsLong(args[1]);
    if (PyErr_Occurred()) return NULL;
    const char *busy = args[2] == Py_None ? NULL : PyUnicode_AsUTF8(args[2]);
    if (args[2] != Py_None && !busy) return NULL;
    RM_Yield(ctx, flags, busy);
    Py_RETURN_NONE;
}

/* notify(ctx, type, event, key) -> status */
static PyObject *n_notify(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(4) CTX_ARG(0);
    MISSING(NotifyKeyspaceEvent);
    int type = (int)PyLong_AsLong(args[1]);
    const char *event = PyUnicode_AsUTF8(args[2]);
    if (!event || PyErr_Occurred()) return NULL;
    BYTES_ARG(3, data, length);
    RedisModuleString *key = RM_CreateString(ctx, data, (size_t)length);
    int result = RM_NotifyKeyspaceEvent(ctx, type, event, key);
    RM_FreeString(ctx, key);
    return status(result);
}

/* ---- callbacks from Redis's event loop: timers, keyspace and server events, INFO --------- */

/* A call into the runtime outside any command: the GIL, an auto-memory context, errors
 * logged (a module's bug must not reach Redis). */
static void call_runtime(PyObject *function, PyObject *arguments, const char *where) {
    PyObject *result = arguments ? PyObject_CallObject(function, arguments) : NULL;
    if (!result) log_python_error(NULL, where);
    Py_XDECREF(result);
    Py_XDECREF(arguments);
}

static void timer_fired(RedisModuleCtx *ctx, void *data) {
    PyGILState_STATE gil = PyGILState_Ensure();
    RM_AutoMemory(ctx);
    PyObject *payload = (PyObject *)data;
    call_runtime(py_timer_fired, Py_BuildValue("(NO)", PyLong_FromVoidPtr(ctx), payload),
                 "timer callback");
    Py_DECREF(payload);
    PyGILState_Release(gil);
}

/* create_timer(ctx, ms, payload) -> id; the payload (a new reference) is the timer's data.
 * Redis's ids use all 64 bits: they travel as signed integers (a reply_with_long_long can
 * send them) and are read back the same way. */
static PyObject *n_create_timer(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(3) CTX_ARG(0);
    MISSING(CreateTimer);
    long long ms = PyLong_AsLongLong(args[1]);
    if (PyErr_Occurred()) return NULL;
    Py_INCREF(args[2]);
    RMTimerID id = RM_CreateTimer(ctx, ms < 0 ? 0 : ms, timer_fired, args[2]);
    return PyLong_FromLongLong((long long)id); /* as modules reply it: a signed 64-bit id */
}

/* stop_timer(ctx, id) -> the payload, or None for no such timer of this module. */
static PyObject *n_stop_timer(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(2) CTX_ARG(0);
    MISSING(StopTimer);
    RMTimerID id = (RMTimerID)PyLong_AsLongLong(args[1]);
    if (PyErr_Occurred()) {
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    void *data = NULL;
    if (RM_StopTimer(ctx, id, &data) != RM_OK || !data) Py_RETURN_NONE;
    return (PyObject *)data; /* the timer's reference passes to the caller */
}

/* timer_info(ctx, id) -> (milliseconds left, payload) or None. */
static PyObject *n_timer_info(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(2) CTX_ARG(0);
    MISSING(GetTimerInfo);
    RMTimerID id = (RMTimerID)PyLong_AsLongLong(args[1]);
    if (PyErr_Occurred()) {
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    uint64_t remaining = 0;
    void *data = NULL;
    if (RM_GetTimerInfo(ctx, id, &remaining, &data) != RM_OK || !data) Py_RETURN_NONE;
    return Py_BuildValue("(KO)", (unsigned long long)remaining, (PyObject *)data);
}

/* One C entry point per keyspace subscription, per module's server events and per module's
 * INFO function: Redis tells neither callback which module or subscription it serves. */
#define MAX_SLOTS 32

static int keyspace_event(int slot, RedisModuleCtx *ctx, int type, const char *event,
                          RedisModuleString *key) {
    PyGILState_STATE gil = PyGILState_Ensure();
    RM_AutoMemory(ctx);
    size_t length = 0;
    const char *name = RM_StringPtrLen(key, &length);
    call_runtime(py_keyspace_event,
                 Py_BuildValue("(iNisy#)", slot, PyLong_FromVoidPtr(ctx), type, event, name,
                               (Py_ssize_t)length),
                 "keyspace event callback");
    PyGILState_Release(gil);
    return RM_OK;
}

static PyObject *server_event_data(uint64_t id, void *data) {
    if (!data) Py_RETURN_NONE;
    switch (id) {
    case RM_EVENT_FLUSHDB:
        return PyLong_FromLong(((RMFlushInfo *)data)->dbnum);
    case RM_EVENT_CLIENT_CHANGE:
        return PyLong_FromUnsignedLongLong(((RMClientInfo *)data)->id);
    case RM_EVENT_CRON_LOOP:
        return PyLong_FromLong(((RMCronLoop *)data)->hz);
    case RM_EVENT_MODULE_CHANGE:
        return PyUnicode_FromString(((RMModuleChange *)data)->module_name);
    case RM_EVENT_SWAPDB:
        return Py_BuildValue("(ii)", ((RMSwapDbInfo *)data)->dbnum_first,
                             ((RMSwapDbInfo *)data)->dbnum_second);
    case RM_EVENT_CONFIG: {
        RMConfigChange *change = data;
        PyObject *names = PyList_New(change->num_changes);
        for (uint32_t i = 0; names && i < change->num_changes; i++)
            PyList_SET_ITEM(names, i, PyUnicode_FromString(change->config_names[i]));
        return names;
    }
    default:
        Py_RETURN_NONE;
    }
}

static void server_event(int slot, RedisModuleCtx *ctx, RMEvent eid, uint64_t subevent,
                         void *data) {
    if (eid.id == RM_EVENT_EVENTLOOP) loop_event(subevent); /* the bridge's own use first */
    PyGILState_STATE gil = PyGILState_Ensure();
    RM_AutoMemory(ctx);
    call_runtime(py_server_event,
                 Py_BuildValue("(iNKKN)", slot, PyLong_FromVoidPtr(ctx),
                               (unsigned long long)eid.id, (unsigned long long)subevent,
                               server_event_data(eid.id, data)),
                 "server event callback");
    PyGILState_Release(gil);
}

static void info_fields(RedisModuleInfoCtx *info, PyObject *sections) {
    for (Py_ssize_t i = 0; i < PyList_Size(sections); i++) {
        const char *section;
        PyObject *fields;
        if (!PyArg_ParseTuple(PyList_GET_ITEM(sections, i), "sO", &section, &fields)) return;
        RM_InfoAddSection(info, section);
        for (Py_ssize_t j = 0; j < PyList_Size(fields); j++) {
            const char *field;
            PyObject *value;
            if (!PyArg_ParseTuple(PyList_GET_ITEM(fields, j), "sO", &field, &value)) return;
            if (PyLong_CheckExact(value)) {
                RM_InfoAddFieldLongLong(info, field, PyLong_AsLongLong(value));
            } else if (PyFloat_Check(value)) {
                RM_InfoAddFieldDouble(info, field, PyFloat_AS_DOUBLE(value));
            } else if (PyUnicode_Check(value)) {
                RM_InfoAddFieldCString(info, field, PyUnicode_AsUTF8(value));
            }
            if (PyErr_Occurred()) return;
        }
    }
}

static void info_function(int slot, RedisModuleInfoCtx *info, int for_crash_report) {
    if (for_crash_report) return; /* no Python inside a crash report */
    PyGILState_STATE gil = PyGILState_Ensure();
    PyObject *sections = PyObject_CallFunction(py_info_sections, "i", slot);
    if (sections && PyList_Check(sections)) info_fields(info, sections);
    if (PyErr_Occurred()) log_python_error(NULL, "INFO section");
    Py_XDECREF(sections);
    PyGILState_Release(gil);
}

/* slot = a*8 + b (the tokens a##b would read 10 as ten, and 07 as octal) */
#define SLOT_ENTRIES(a, b)                                                                   \
    static int keyspace_slot_##a##b(RedisModuleCtx *ctx, int type, const char *event,        \
                                    RedisModuleString *key) {                                \
        return keyspace_event(a * 8 + b, ctx, type, event, key);                             \
    }                                                                                        \
    static void server_event_slot_##a##b(RedisModuleCtx *ctx, RMEvent eid,                   \
                                         uint64_t subevent, void *data) {                    \
        server_event(a * 8 + b, ctx, eid, subevent, data);                                   \
    }                                                                                        \
    static void info_slot_##a##b(RedisModuleInfoCtx *info, int for_crash_report) {           \
        info_function(a * 8 + b, info, for_crash_report);                                    \
    }
#define EIGHT_SLOTS(a)                                                                       \
    SLOT_ENTRIES(a, 0) SLOT_ENTRIES(a, 1) SLOT_ENTRIES(a, 2) SLOT_ENTRIES(a, 3)              \
    SLOT_ENTRIES(a, 4) SLOT_ENTRIES(a, 5) SLOT_ENTRIES(a, 6) SLOT_ENTRIES(a, 7)
EIGHT_SLOTS(0) EIGHT_SLOTS(1) EIGHT_SLOTS(2) EIGHT_SLOTS(3)
#define SLOT_NAMES(kind, a)                                                                  \
    kind##_slot_##a##0, kind##_slot_##a##1, kind##_slot_##a##2, kind##_slot_##a##3,          \
        kind##_slot_##a##4, kind##_slot_##a##5, kind##_slot_##a##6, kind##_slot_##a##7
#define ALL_SLOTS(kind)                                                                      \
    {SLOT_NAMES(kind, 0), SLOT_NAMES(kind, 1), SLOT_NAMES(kind, 2), SLOT_NAMES(kind, 3)}
static RMNotificationFunc keyspace_slots[MAX_SLOTS] = ALL_SLOTS(keyspace);
static RMEventCallback server_event_slots[MAX_SLOTS] = ALL_SLOTS(server_event);
static RMInfoFunc info_slots[MAX_SLOTS] = ALL_SLOTS(info);

static int slot_arg(PyObject *value) {
    long slot = PyLong_AsLong(value);
    if (PyErr_Occurred()) return -1;
    if (slot < 0 || slot >= MAX_SLOTS) {
        PyErr_Format(PyExc_OverflowError,
                     "ferrite bridge: at most %d keyspace subscriptions and %d modules", MAX_SLOTS,
                     MAX_SLOTS);
        return -1;
    }
    return (int)slot;
}

/* subscribe_keyspace(ctx, slot, types) -> status */
static PyObject *n_subscribe_keyspace(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(3) CTX_ARG(0);
    MISSING(SubscribeToKeyspaceEvents);
    int slot = slot_arg(args[1]);
    int types = (int)PyLong_AsLong(args[2]);
    if (slot < 0 || PyErr_Occurred()) return NULL;
    return status(RM_SubscribeToKeyspaceEvents(ctx, types, keyspace_slots[slot]));
}

/* subscribe_server_event(ctx, module slot, event id, subscribe) -> status */
static PyObject *n_subscribe_server_event(PyObject *self, PyObject *const *args,
                                          Py_ssize_t nargs) {
    NEED(4) CTX_ARG(0);
    MISSING(SubscribeToServerEvent);
    int slot = slot_arg(args[1]);
    unsigned long long id = PyLong_AsUnsignedLongLong(args[2]);
    if (slot < 0 || PyErr_Occurred()) return NULL;
    RMEvent event = {id, 1};
    RMEventCallback callback = PyObject_IsTrue(args[3]) ? server_event_slots[slot] : NULL;
    int result = RM_SubscribeToServerEvent(ctx, event, callback);
    if (id == RM_EVENT_EVENTLOOP && !callback) subscribe_loop_hook(ctx); /* the bridge's own */
    return status(result);
}

/* register_info(ctx, module slot) -> status */
static PyObject *n_register_info(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(2) CTX_ARG(0);
    MISSING(RegisterInfoFunc);
    int slot = slot_arg(args[1]);
    if (slot < 0) return NULL;
    return status(RM_RegisterInfoFunc(ctx, info_slots[slot]));
}

/* ---- module configs ---------------------------------------------------------------------- */

/* The Python parameter behind a config, and the string its getter last handed Redis. Both
 * live as long as the server (a module never unloads). */
typedef struct {
    PyObject *parameter;
    RedisModuleString *shown;
} ConfigBinding;

static PyObject *config_value(ConfigBinding *binding) {
    PyObject *value = PyObject_CallOneArg(py_config_get, binding->parameter);
    if (!value) log_python_error(NULL, "reading a module config");
    return value;
}

static long long config_get_number(const char *name, void *privdata) {
    (void)name;
    PyGILState_STATE gil = PyGILState_Ensure();
    PyObject *value = config_value(privdata);
    long long number = value ? PyLong_AsLongLong(value) : 0;
    if (PyErr_Occurred()) log_python_error(NULL, "reading a module config");
    Py_XDECREF(value);
    PyGILState_Release(gil);
    return number;
}

static int config_get_flag(const char *name, void *privdata) {
    return (int)config_get_number(name, privdata);
}

static RedisModuleString *config_get_string(const char *name, void *privdata) {
    (void)name;
    ConfigBinding *binding = privdata;
    PyGILState_STATE gil = PyGILState_Ensure();
    PyObject *value = config_value(binding);
    Py_ssize_t length = 0;
    const char *text = value ? PyUnicode_AsUTF8AndSize(value, &length) : NULL;
    if (binding->shown) RM_FreeString(NULL, binding->shown);
    binding->shown = RM_CreateString(NULL, text ? text : "", text ? (size_t)length : 0);
    if (PyErr_Occurred()) log_python_error(NULL, "reading a module config");
    Py_XDECREF(value);
    PyGILState_Release(gil);
    return binding->shown;
}

/* The runtime applies `value`; None, or the reason it refused (into *err). */
static int config_apply(ConfigBinding *binding, PyObject *value, RedisModuleString **err) {
    int result = RM_OK;
    PyObject *refusal = value ? PyObject_CallFunctionObjArgs(py_config_set, binding->parameter,
                                                             value, NULL)
                              : NULL;
    if (!refusal) {
        log_python_error(NULL, "setting a module config");
        *err = RM_CreateString(NULL, "the module failed to apply it (see the log)", 43);
        result = RM_ERR;
    } else if (refusal != Py_None) {
        Py_ssize_t length = 0;
        const char *text = PyUnicode_AsUTF8AndSize(refusal, &length);
        *err = RM_CreateString(NULL, text ? text : "refused", text ? (size_t)length : 7);
        PyErr_Clear();
        result = RM_ERR;
    }
    Py_XDECREF(refusal);
    Py_XDECREF(value);
    return result;
}

static int config_set_number(const char *name, long long value, void *privdata,
                             RedisModuleString **err) {
    (void)name;
    PyGILState_STATE gil = PyGILState_Ensure();
    int result = config_apply(privdata, PyLong_FromLongLong(value), err);
    PyGILState_Release(gil);
    return result;
}

static int config_set_flag(const char *name, int value, void *privdata, RedisModuleString **err) {
    return config_set_number(name, value, privdata, err);
}

static int config_set_string(const char *name, RedisModuleString *value, void *privdata,
                             RedisModuleString **err) {
    (void)name;
    PyGILState_STATE gil = PyGILState_Ensure();
    size_t length = 0;
    const char *text = RM_StringPtrLen(value, &length);
    PyObject *given = PyUnicode_DecodeUTF8(text, (Py_ssize_t)length, "surrogateescape");
    int result = config_apply(privdata, given, err);
    PyGILState_Release(gil);
    return result;
}

/* register_config(ctx, kind, name, default, flags, minimum, maximum, choices, parameter)
 * -> status; kind 0 numeric, 1 string, 2 bool, 3 enum (default: the choice's index). */
static PyObject *n_register_config(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(9) CTX_ARG(0);
    MISSING(RegisterNumericConfig);
    long kind = PyLong_AsLong(args[1]);
    const char *name = PyUnicode_AsUTF8(args[2]);
    unsigned int flags = (unsigned int)PyLong_AsUnsignedLong(args[4]);
    if (!name || PyErr_Occurred()) return NULL;
    ConfigBinding *binding = PyMem_RawCalloc(1, sizeof *binding);
    if (!binding) return PyErr_NoMemory();
    binding->parameter = Py_NewRef(args[8]);
    int result = RM_ERR;
    if (kind == 0) {
        long long low = PyLong_AsLongLong(args[5]), high = PyLong_AsLongLong(args[6]);
        long long initial = PyLong_AsLongLong(args[3]);
        if (PyErr_Occurred()) return NULL;
        result = RM_RegisterNumericConfig(ctx, name, initial, flags, low, high, config_get_number,
                                          config_set_number, NULL, binding);
    } else if (kind == 1) {
        const char *initial = PyUnicode_AsUTF8(args[3]);
        if (!initial) return NULL;
        result = RM_RegisterStringConfig(ctx, name, initial, flags, config_get_string,
                                         config_set_string, NULL, binding);
    } else if (kind == 2) {
        int initial = PyObject_IsTrue(args[3]);
        result = RM_RegisterBoolConfig(ctx, name, initial, flags, config_get_flag, config_set_flag,
                                       NULL, binding);
    } else {
        Py_ssize_t count = PyList_Size(args[7]);
        int initial = (int)PyLong_AsLong(args[3]);
        if (count < 1 || PyErr_Occurred()) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "an enum needs choices");
            return NULL;
        }
        const char **names = PyMem_RawCalloc((size_t)count, sizeof *names);
        int *values = PyMem_RawCalloc((size_t)count, sizeof *values);
        for (Py_ssize_t i = 0; i < count; i++) {
            const char *choice = PyUnicode_AsUTF8(PyList_GET_ITEM(args[7], i));
            if (!choice) return NULL;
            names[i] = strdup(choice);
            values[i] = (int)i;
        }
        result = RM_RegisterEnumConfig(ctx, name, initial, flags, names, values, (int)count,
                                       config_get_flag, config_set_flag, NULL, binding);
    }
    return status(result);
}

static PyObject *n_load_configs(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(1) CTX_ARG(0);
    MISSING(LoadConfigs);
    return status(RM_LoadConfigs(ctx));
}

/* ---- commands: the per-call state and dispatch (call.c) ---------------------------------- */

#include "call.c"

#define FAST(name) {#name, (PyCFunction)(void (*)(void))n_##name, METH_FASTCALL, NULL}
static PyMethodDef native_methods[] = {
    FAST(reply_long_long), FAST(reply_double), FAST(reply_bool), FAST(reply_simple),
    FAST(reply_error), FAST(reply_bulk), FAST(reply_big_number), FAST(reply_verbatim),
    FAST(reply_null), FAST(reply_null_array), FAST(reply_empty_array), FAST(reply_aggregate),
    FAST(set_aggregate_length), FAST(open_key), FAST(close_key), FAST(key_type),
    FAST(value_length), FAST(string_set), FAST(string_dma), FAST(string_get),
    FAST(string_truncate), FAST(delete_key), FAST(get_expire), FAST(set_expire),
    FAST(type_set_value), FAST(type_slot), FAST(type_get_value), FAST(call), FAST(replicate),
    FAST(replicate_verbatim), FAST(selected_db), FAST(select_db), FAST(client_id), FAST(resp3),
    FAST(log), FAST(list_push), FAST(list_pop), FAST(list_get), FAST(list_edit),
    FAST(hash_set), FAST(hash_get), FAST(zset_add), FAST(zset_member), FAST(zset_score_range),
    FAST(zset_lex_range), FAST(zset_current), FAST(zset_step), FAST(context_flags),
    FAST(key_exists), FAST(milliseconds), FAST(random_bytes), FAST(used_memory_ratio),
    FAST(publish), FAST(notify), FAST(create_timer), FAST(stop_timer), FAST(timer_info),
    FAST(subscribe_keyspace), FAST(subscribe_server_event), FAST(register_info),
    FAST(register_config), FAST(load_configs), FAST(yield_), FAST(bind_command),
    FAST(configure), {NULL, NULL, 0, NULL}};

static struct PyModuleDef native_definition = {
    PyModuleDef_HEAD_INIT, "ferrite_host.bridge._native",
    "The Redis Module API as the Ferrite bridge's runtime calls it (inside redis-server only).",
    -1, native_methods, NULL, NULL, NULL, NULL};

static PyObject *native_module(void) {
    PyObject *module = PyModule_Create(&native_definition);
    if (module && add_call_types(module) < 0) Py_CLEAR(module);
    return module;
}

/* ---- loading a Ferrite module ---------------------------------------------------------- */

static int fail_load(RedisModuleCtx *ctx, const char *entry_point, const char *reason) {
    RM_Log(ctx, "warning", "ferrite bridge: module '%s' failed to load: %s", entry_point, reason);
    return RM_ERR;
}

/* The entry point's load failed after Python staged it: let the runtime forget it. */
static void forget(const char *entry_point) {
    PyObject *result = PyObject_CallMethod(runtime, "forget", "s", entry_point);
    if (!result) PyErr_Clear();
    Py_XDECREF(result);
}

static int register_types(RedisModuleCtx *ctx, const char *entry_point, PyObject *list) {
    for (Py_ssize_t i = 0; i < PyList_Size(list); i++) {
        int slot, encver, has_copy;
        const char *name;
        if (!PyArg_ParseTuple(PyList_GET_ITEM(list, i), "isip", &slot, &name, &encver, &has_copy))
            return RM_ERR;
        if (slot < 0 || slot >= MAX_TYPES) {
            fail_load(ctx, entry_point, "too many data types in this server (64 at most)");
            return RM_ERR;
        }
        RMTypeMethods methods = {0};
        methods.version = RM_TYPE_METHOD_VERSION;
        methods.rdb_load = slot_loaders[slot];
        methods.rdb_save = type_rdb_save;
        methods.aof_rewrite = type_aof_rewrite;
        methods.mem_usage = type_mem_usage;
        methods.digest = type_digest;
        methods.free = type_free;
        methods.copy = has_copy ? type_copy : NULL;
        types[slot] = RM_CreateDataType(ctx, name, encver, &methods);
        if (types[slot] == NULL) {
            char reason[256];
            snprintf(reason, sizeof reason,
                     "Redis refused data type '%s' (encver %d): the name is taken or invalid",
                     name, encver);
            fail_load(ctx, entry_point, reason);
            return RM_ERR;
        }
    }
    return RM_OK;
}

static int register_commands(RedisModuleCtx *ctx, const char *entry_point, PyObject *list) {
    for (Py_ssize_t i = 0; i < PyList_Size(list); i++) {
        const char *name, *flags;
        int first, last, step, slot;
        if (!PyArg_ParseTuple(PyList_GET_ITEM(list, i), "ssiiii", &name, &flags, &first, &last,
                              &step, &slot))
            return RM_ERR;
        if (slot < 0 || slot >= MAX_COMMANDS) {
            fail_load(ctx, entry_point, "too many commands in this server (512 at most)");
            return RM_ERR;
        }
        if (RM_CreateCommand(ctx, name, command_entries[slot], flags, first, last, step) !=
            RM_OK) {
            char reason[256];
            snprintf(reason, sizeof reason,
                     "Redis refused command '%s' (flags '%s'): the name is taken or the "
                     "flags are invalid", name, flags);
            fail_load(ctx, entry_point, reason);
            return RM_ERR;
        }
        char reason[256];
        if (ferrite_set_command_info(ctx, entry_point, name, reason, sizeof reason) != RM_OK) {
            fail_load(ctx, entry_point, reason);
            return RM_ERR;
        }
    }
    return RM_OK;
}

static int load_entry_point(RedisModuleCtx *ctx, const char *entry_point, PyObject *load_args,
                            PyObject *paths) {
    PyObject *staged = PyObject_CallMethod(runtime, "load", "sOO", entry_point, load_args, paths);
    if (!staged) {
        PyObject *type, *value, *traceback;
        PyErr_Fetch(&type, &value, &traceback);
        PyObject *text = value ? PyObject_Str(value) : NULL;
        const char *reason = text ? PyUnicode_AsUTF8(text) : NULL;
        fail_load(ctx, entry_point, reason ? reason : "unknown error");
        Py_XDECREF(text);
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(traceback);
        PyErr_Clear();
        return RM_ERR;
    }
    const char *name;
    int version;
    PyObject *commands, *type_list;
    int result = RM_ERR;
    if (!PyArg_ParseTuple(staged, "siOO", &name, &version, &commands, &type_list)) {
        log_python_error(ctx, "reading what the runtime staged");
    } else if (RM_IsModuleNameBusy && RM_IsModuleNameBusy(name)) {
        char reason[256];
        snprintf(reason, sizeof reason, "a module named '%s' is already loaded", name);
        fail_load(ctx, entry_point, reason);
    } else {
        RM_SetModuleAttribs(ctx, name, version, RM_APIVER_1);
        if (register_types(ctx, entry_point, type_list) == RM_OK &&
            register_commands(ctx, entry_point, commands) == RM_OK) {
            PyObject *done = PyObject_CallMethod(runtime, "committed", "sN", entry_point,
                                                PyLong_FromVoidPtr(ctx));
            if (done) result = RM_OK;
            else log_python_error(ctx, "committing the module");
            Py_XDECREF(done);
        } else if (PyErr_Occurred()) {
            log_python_error(ctx, "registering the module");
        }
    }
    Py_DECREF(staged);
    if (result != RM_OK) forget(entry_point);
    return result;
}

/* Leading options: venv=<dir> (the interpreter, once per server) and any number of
 * path=<dir> (prepended to sys.path, for modules installed outside the venv). */
static int read_options(RedisModuleString **argv, int argc, char *venv, size_t venv_size) {
    int next = 0;
    for (; next < argc; next++) {
        size_t length = 0;
        const char *arg = RM_StringPtrLen(argv[next], &length);
        if (length > 5 && strncmp(arg, "venv=", 5) == 0) {
            snprintf(venv, venv_size, "%.*s", (int)(length - 5), arg + 5);
        } else if (length > 5 && strncmp(arg, "path=", 5) == 0) {
            continue; /* read again once Python runs */
        } else {
            break;
        }
    }
    return next;
}

static PyObject *paths_of(RedisModuleString **argv, int count) {
    PyObject *paths = PyList_New(0);
    for (int i = 0; paths && i < count; i++) {
        size_t length = 0;
        const char *arg = RM_StringPtrLen(argv[i], &length);
        if (length > 5 && strncmp(arg, "path=", 5) == 0) {
            PyObject *path = PyUnicode_DecodeFSDefaultAndSize(arg + 5, (Py_ssize_t)length - 5);
            if (!path || PyList_Append(paths, path) < 0) Py_CLEAR(paths);
            Py_XDECREF(path);
        }
    }
    return paths;
}

int RedisModule_OnLoad(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    if (fetch_api(ctx) != RM_OK) return RM_ERR;
    char venv[4096];
    snprintf(venv, sizeof venv, "%s", FERRITE_DEFAULT_VENV);
    int next = read_options(argv, argc, venv, sizeof venv);
    if (next >= argc) {
        RM_Log(ctx, "warning", "ferrite bridge: usage: loadmodule <bridge.so> venv=<dir> "
                               "[path=<dir>...] <entry point> [args...] (`ferrite bridge` "
                               "prints the lines)");
        return RM_ERR;
    }
    size_t length = 0;
    const char *raw = RM_StringPtrLen(argv[next], &length);
    char entry_point[256];
    snprintf(entry_point, sizeof entry_point, "%.*s", (int)length, raw);
    if (!interpreter_ready) {
        if (!venv[0]) {
            RM_Log(ctx, "warning", "ferrite bridge: give venv=<dir> before the entry point");
            return RM_ERR;
        }
        if (start_interpreter(ctx, venv) != RM_OK) return RM_ERR;
    }
    PyGILState_STATE gil = PyGILState_Ensure();
    PyObject *load_args = PyList_New(0);
    for (int i = next + 1; load_args && i < argc; i++) {
        const char *arg = RM_StringPtrLen(argv[i], &length);
        PyObject *text = PyUnicode_DecodeUTF8(arg, (Py_ssize_t)length, "surrogateescape");
        if (!text || PyList_Append(load_args, text) < 0) Py_CLEAR(load_args);
        Py_XDECREF(text);
    }
    PyObject *paths = paths_of(argv, next);
    int result = RM_ERR;
    if (load_args && paths) result = load_entry_point(ctx, entry_point, load_args, paths);
    else log_python_error(ctx, "reading the load arguments");
    if (result == RM_OK) subscribe_loop_hook(ctx);
    Py_XDECREF(load_args);
    Py_XDECREF(paths);
    PyGILState_Release(gil);
    return result;
}

int RedisModule_OnUnload(RedisModuleCtx *ctx) {
    RM_Log(ctx, "warning",
           "ferrite bridge: MODULE UNLOAD refused: modules run in the embedded Python "
           "interpreter, which lives as long as the server; restart redis-server without "
           "the loadmodule line to remove the module");
    return RM_ERR;
}
