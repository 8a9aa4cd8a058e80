/*
 * The Ferrite bridge's blocking half: module blocked clients (RM_BlockClient,
 * RM_BlockClientOnKeys, RM_UnblockClient, RM_AbortBlock, RM_SignalKeyAsReady and the
 * queries of reply/timeout callbacks), thread-safe contexts and Redis's module lock, and the
 * keys' access statistics (RM_GetLRU/SetLRU/GetLFU/SetLFU).
 *
 * Its functions live in their own native module, ferrite_host.bridge._blocking_native, put
 * in sys.modules by ferrite_blocking_install(); the Python half is
 * ferrite_host.bridge.blocking / threads. Two locks meet here: Python's GIL and Redis's
 * module lock (the one RM_ThreadSafeContextLock takes, held by Redis's main thread except
 * while it sleeps in its poller). Redis's main thread only ever waits for the GIL while it
 * holds Redis's lock, so a Python thread must never wait for Redis's lock while holding
 * the GIL: every call that may wait for it (lock, unblock) releases the GIL first.
 *
 * Private data given to Redis is always a Python object (a new reference, never NULL), so
 * Redis always calls the free trampoline, which hands it back to Python and drops it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <string.h>

#include "redis_module_api.h"

#define DECLARE_POINTER(ret, name, params) static ret(*RM_##name) params = NULL;
FERRITE_RM_BLOCKING_FUNCTIONS(DECLARE_POINTER)
#undef DECLARE_POINTER

typedef int (*GetApiFunc)(const char *name, void *target);

int ferrite_blocking_fetch_api(RedisModuleCtx *ctx) {
    static int fetched = 0;
    if (fetched) return RM_OK;
    GetApiFunc get_api = (GetApiFunc)((void **)ctx)[0];
#define FETCH(ret, name, params)                                                             \
    if (get_api("RedisModule_" #name, (void *)&RM_##name) != RM_OK) RM_##name = NULL;
    FERRITE_RM_BLOCKING_FUNCTIONS(FETCH)
#undef FETCH
    fetched = 1;
    return RM_OK;
}

/* ---- calls into the Python half ---------------------------------------------------------- */

static PyObject *python_half = NULL; /* ferrite_host.bridge.blocking */

static void log_error(const char *where) {
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    PyObject *text = value ? PyObject_Str(value) : NULL;
    const char *message = text ? PyUnicode_AsUTF8(text) : NULL;
    if (RM_Log)
        RM_Log(NULL, "warning", "ferrite bridge: %s: %s: %s", where,
               type ? ((PyTypeObject *)type)->tp_name : "Error", message ? message : "?");
    Py_XDECREF(text);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(traceback);
    PyErr_Clear();
}

/* python_half.<name>(*arguments) with the GIL held; a new reference or NULL (logged). */
static PyObject *call_python(const char *name, PyObject *arguments) {
    if (!arguments) {
        log_error(name);
        return NULL;
    }
    if (!python_half) python_half = PyImport_ImportModule("ferrite_host.bridge.blocking");
    PyObject *function = python_half ? PyObject_GetAttrString(python_half, name) : NULL;
    PyObject *result = function ? PyObject_CallObject(function, arguments) : NULL;
    if (!result) log_error(name);
    Py_XDECREF(function);
    Py_DECREF(arguments);
    return result;
}

static PyObject *argv_list(RedisModuleString **argv, int argc) {
    PyObject *list = PyList_New(argc > 0 ? argc : 0);
    for (int i = 0; list && i < argc; i++) {
        size_t length = 0;
        const char *data = RM_StringPtrLen(argv[i], &length);
        PyObject *item = PyBytes_FromStringAndSize(data, (Py_ssize_t)length);
        if (!item) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, i, item);
    }
    return list;
}

/* ---- the callbacks Redis calls (its main thread, or a thread unblocking a client blocked on
 * keys, which holds Redis's lock) ---------------------------------------------------------- */

static int blocked_callback(const char *mode, RedisModuleCtx *ctx, RedisModuleString **argv,
                            int argc) {
    PyGILState_STATE gil = PyGILState_Ensure();
    RM_AutoMemory(ctx);
    RedisModuleBlockedClient *bc = RM_GetBlockedClientHandle(ctx);
    PyObject *result = call_python(
        "blocked_callback", Py_BuildValue("(sNNN)", mode, PyLong_FromVoidPtr(ctx),
                                          PyLong_FromVoidPtr(bc), argv_list(argv, argc)));
    int status = RM_OK;
    if (result) {
        status = (int)PyLong_AsLong(result);
        if (PyErr_Occurred()) log_error("blocked_callback status");
    }
    Py_XDECREF(result);
    PyGILState_Release(gil);
    return status;
}

static int reply_trampoline(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    return blocked_callback("reply", ctx, argv, argc);
}

static int timeout_trampoline(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    return blocked_callback("timeout", ctx, argv, argc);
}

static void free_trampoline(RedisModuleCtx *ctx, void *privdata) {
    PyGILState_STATE gil = PyGILState_Ensure();
    RM_AutoMemory(ctx);
    PyObject *data = (PyObject *)privdata;
    PyObject *result =
        call_python("free_privdata", Py_BuildValue("(NO)", PyLong_FromVoidPtr(ctx), data));
    Py_XDECREF(result);
    Py_DECREF(data); /* the reference handed to Redis */
    PyGILState_Release(gil);
}

static void disconnect_trampoline(RedisModuleCtx *ctx, RedisModuleBlockedClient *bc) {
    PyGILState_STATE gil = PyGILState_Ensure();
    RM_AutoMemory(ctx);
    PyObject *result = call_python(
        "disconnected", Py_BuildValue("(NN)", PyLong_FromVoidPtr(ctx), PyLong_FromVoidPtr(bc)));
    Py_XDECREF(result);
    PyGILState_Release(gil);
}

/* ---- the native module ------------------------------------------------------------------- */

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

static void *address(PyObject *value) {
    void *pointer = PyLong_AsVoidPtr(value);
    if (!pointer && !PyErr_Occurred())
        PyErr_SetString(PyExc_RuntimeError,
                        "ferrite bridge: context, key or blocked client is no longer valid");
    return pointer;
}

#define POINTER_ARG(type, name, i)                                                           \
    type *name = address(args[i]);                                                           \
    if (!name) return NULL;

static PyObject *handle_or_zero(void *pointer) {
    return pointer ? PyLong_FromVoidPtr(pointer) : PyLong_FromLong(0);
}

/* block_client(ctx, timeout_ms, with_timeout_callback) -> blocked client address. The
 * timeout callback is passed when asked for or when there is a timeout (Redis cannot time
 * a client out without one); Python answers a timeout nobody handles with null. */
static PyObject *n_block_client(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(3);
    MISSING(BlockClient);
    POINTER_ARG(RedisModuleCtx, ctx, 0);
    long long timeout = PyLong_AsLongLong(args[1]);
    int with_timeout = PyObject_IsTrue(args[2]);
    if (PyErr_Occurred()) return NULL;
    RMBlockedReplyFunc on_timeout = (with_timeout || timeout > 0) ? timeout_trampoline : NULL;
    RedisModuleBlockedClient *bc = RM_BlockClient(ctx, reply_trampoline, on_timeout,
                                                  free_trampoline, timeout < 0 ? 0 : timeout);
    return handle_or_zero(bc);
}

/* block_client_on_keys(ctx, timeout_ms, with_timeout_callback, [key, ...], privdata) */
static PyObject *n_block_client_on_keys(PyObject *self, PyObject *const *args,
                                        Py_ssize_t nargs) {
    NEED(5);
    MISSING(BlockClientOnKeys);
    POINTER_ARG(RedisModuleCtx, ctx, 0);
    long long timeout = PyLong_AsLongLong(args[1]);
    int with_timeout = PyObject_IsTrue(args[2]);
    Py_ssize_t count = PyList_Size(args[3]);
    if (PyErr_Occurred()) return NULL;
    RedisModuleString **keys = PyMem_Calloc(count ? (size_t)count : 1, sizeof *keys);
    if (!keys) return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *key = PyList_GET_ITEM(args[3], i);
        if (!PyBytes_Check(key)) {
            for (Py_ssize_t j = 0; j < i; j++) RM_FreeString(ctx, keys[j]);
            PyMem_Free(keys);
            PyErr_SetString(PyExc_TypeError, "key names must be bytes");
            return NULL;
        }
        keys[i] = RM_CreateString(ctx, PyBytes_AS_STRING(key), (size_t)PyBytes_GET_SIZE(key));
    }
    RMBlockedReplyFunc on_timeout = (with_timeout || timeout > 0) ? timeout_trampoline : NULL;
    Py_INCREF(args[4]); /* Redis's reference, dropped by free_trampoline */
    RedisModuleBlockedClient *bc =
        RM_BlockClientOnKeys(ctx, reply_trampoline, on_timeout, free_trampoline,
                             timeout < 0 ? 0 : timeout, keys, (int)count, args[4]);
    if (!bc) Py_DECREF(args[4]);
    for (Py_ssize_t i = 0; i < count; i++) RM_FreeString(ctx, keys[i]);
    PyMem_Free(keys);
    return handle_or_zero(bc);
}

/* unblock(bc, privdata) -> status. Without the GIL: Redis may take its own locks, and for
 * a client blocked on keys it runs the timeout callback at once (which takes the GIL). */
static PyObject *n_unblock(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(2);
    MISSING(UnblockClient);
    POINTER_ARG(RedisModuleBlockedClient, bc, 0);
    void *privdata = NULL;
    if (args[1] != Py_None) {
        Py_INCREF(args[1]); /* Redis's reference, dropped by free_trampoline */
        privdata = args[1];
    }
    int result;
    Py_BEGIN_ALLOW_THREADS
    result = RM_UnblockClient(bc, privdata);
    Py_END_ALLOW_THREADS
    if (result != RM_OK && privdata) Py_DECREF(args[1]);
    return PyLong_FromLong(result);
}

static PyObject *n_abort(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(1);
    MISSING(AbortBlock);
    POINTER_ARG(RedisModuleBlockedClient, bc, 0);
    int result;
    Py_BEGIN_ALLOW_THREADS
    result = RM_AbortBlock(bc);
    Py_END_ALLOW_THREADS
    return PyLong_FromLong(result);
}

/* set_disconnect_callback(bc, enabled) */
static PyObject *n_set_disconnect_callback(PyObject *self, PyObject *const *args,
                                           Py_ssize_t nargs) {
    NEED(2);
    MISSING(SetDisconnectCallback);
    POINTER_ARG(RedisModuleBlockedClient, bc, 0);
    RM_SetDisconnectCallback(bc, PyObject_IsTrue(args[1]) ? disconnect_trampoline : NULL);
    Py_RETURN_NONE;
}

static PyObject *n_signal_key_as_ready(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(2);
    MISSING(SignalKeyAsReady);
    POINTER_ARG(RedisModuleCtx, ctx, 0);
    if (!PyBytes_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "the key name must be bytes");
        return NULL;
    }
    RedisModuleString *key =
        RM_CreateString(ctx, PyBytes_AS_STRING(args[1]), (size_t)PyBytes_GET_SIZE(args[1]));
    RM_SignalKeyAsReady(ctx, key);
    RM_FreeString(ctx, key);
    Py_RETURN_NONE;
}

static PyObject *n_ready_key(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(1);
    MISSING(GetBlockedClientReadyKey);
    POINTER_ARG(RedisModuleCtx, ctx, 0);
    RedisModuleString *key = RM_GetBlockedClientReadyKey(ctx);
    if (!key) Py_RETURN_NONE;
    size_t length = 0;
    const char *data = RM_StringPtrLen(key, &length);
    return PyBytes_FromStringAndSize(data, (Py_ssize_t)length);
}

/* private_data(ctx) -> the Python object given to Redis, or None */
static PyObject *n_private_data(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(1);
    MISSING(GetBlockedClientPrivateData);
    POINTER_ARG(RedisModuleCtx, ctx, 0);
    PyObject *data = RM_GetBlockedClientPrivateData(ctx);
    if (!data) Py_RETURN_NONE;
    return Py_NewRef(data);
}

static PyObject *n_blocked_handle(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(1);
    MISSING(GetBlockedClientHandle);
    POINTER_ARG(RedisModuleCtx, ctx, 0);
    return handle_or_zero(RM_GetBlockedClientHandle(ctx));
}

/* request_kind(ctx) -> "reply", "timeout" or None */
static PyObject *n_request_kind(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(1);
    MISSING(IsBlockedReplyRequest);
    MISSING(IsBlockedTimeoutRequest);
    POINTER_ARG(RedisModuleCtx, ctx, 0);
    if (RM_IsBlockedReplyRequest(ctx)) return PyUnicode_FromString("reply");
    if (RM_IsBlockedTimeoutRequest(ctx)) return PyUnicode_FromString("timeout");
    Py_RETURN_NONE;
}

/* thread_safe_context(bc or 0) -> a new thread-safe context (auto memory on: what it
 * creates is freed with it) */
static PyObject *n_thread_safe_context(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(1);
    MISSING(GetThreadSafeContext);
    void *bc = PyLong_AsVoidPtr(args[0]);
    if (PyErr_Occurred()) return NULL;
    RedisModuleCtx *ctx = RM_GetThreadSafeContext(bc);
    if (ctx) RM_AutoMemory(ctx);
    return handle_or_zero(ctx);
}

static PyObject *n_free_thread_safe_context(PyObject *self, PyObject *const *args,
                                            Py_ssize_t nargs) {
    NEED(1);
    MISSING(FreeThreadSafeContext);
    POINTER_ARG(RedisModuleCtx, ctx, 0);
    RM_FreeThreadSafeContext(ctx);
    Py_RETURN_NONE;
}

/* lock(ctx): wait for Redis's module lock without the GIL (see the top of this file). */
static PyObject *n_lock(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(1);
    MISSING(ThreadSafeContextLock);
    POINTER_ARG(RedisModuleCtx, ctx, 0);
    Py_BEGIN_ALLOW_THREADS
    RM_ThreadSafeContextLock(ctx);
    Py_END_ALLOW_THREADS
    Py_RETURN_NONE;
}

static PyObject *n_try_lock(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(1);
    MISSING(ThreadSafeContextTryLock);
    POINTER_ARG(RedisModuleCtx, ctx, 0);
    return PyBool_FromLong(RM_ThreadSafeContextTryLock(ctx) == RM_OK);
}

static PyObject *n_unlock(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(1);
    MISSING(ThreadSafeContextUnlock);
    POINTER_ARG(RedisModuleCtx, ctx, 0);
    RM_ThreadSafeContextUnlock(ctx);
    Py_RETURN_NONE;
}

/* get_lru(key) -> (status, idle ms); get_lfu(key) -> (status, frequency) */
static PyObject *n_get_access(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(2);
    MISSING(GetLRU);
    MISSING(GetLFU);
    POINTER_ARG(RedisModuleKey, key, 0);
    int lfu = PyObject_IsTrue(args[1]);
    long long value = -1;
    int result = lfu ? RM_GetLFU(key, &value) : RM_GetLRU(key, &value);
    return Py_BuildValue("(iL)", result, value);
}

/* set_access(key, lfu, value) -> status */
static PyObject *n_set_access(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    NEED(3);
    MISSING(SetLRU);
    MISSING(SetLFU);
    POINTER_ARG(RedisModuleKey, key, 0);
    int lfu = PyObject_IsTrue(args[1]);
    long long value = PyLong_AsLongLong(args[2]);
    if (PyErr_Occurred()) return NULL;
    return PyLong_FromLong(lfu ? RM_SetLFU(key, value) : RM_SetLRU(key, value));
}

#define FAST(name) {#name, (PyCFunction)(void (*)(void))n_##name, METH_FASTCALL, NULL}
static PyMethodDef blocking_methods[] = {
    FAST(block_client),   FAST(block_client_on_keys), FAST(unblock),
    FAST(abort),          FAST(set_disconnect_callback), FAST(signal_key_as_ready),
    FAST(ready_key),      FAST(private_data),         FAST(blocked_handle),
    FAST(request_kind),   FAST(thread_safe_context),  FAST(free_thread_safe_context),
    FAST(lock),           FAST(try_lock),             FAST(unlock),
    FAST(get_access),     FAST(set_access),           {NULL, NULL, 0, NULL}};

static struct PyModuleDef blocking_definition = {
    PyModuleDef_HEAD_INIT, "ferrite_host.bridge._blocking_native",
    "Blocked clients, thread-safe contexts and key access statistics of the Redis Module API "
    "(inside redis-server only).",
    -1, blocking_methods, NULL, NULL, NULL, NULL};

/* With the GIL held, once the interpreter runs: 0, or -1 with a Python error set. */
int ferrite_blocking_install(void) {
    PyObject *module = PyModule_Create(&blocking_definition);
    if (!module) return -1;
    int result = PyDict_SetItemString(PyImport_GetModuleDict(),
                                      "ferrite_host.bridge._blocking_native", module);
    Py_DECREF(module);
    return result;
}
