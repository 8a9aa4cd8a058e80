/*
 * One command call through the bridge, in C: the per-call state (the Redis context, the
 * reply count, what the call changed and what it asked to replicate), the reply methods
 * module code calls most, and the dispatch from Redis into the module's function.
 *
 * Included by ferrite_bridge.c (it uses the RM_* pointers and helpers defined there).
 *
 * `Call` is the Redis-shaped ctx (ferrite_host.bridge.context.BridgeCtx subclasses it and
 * adds the rest of RedisModuleCtx in Python); `Context` is the Pythonic Context's base
 * (pythonic.BridgeContext). Each registered command gets its own C entry point (a slot),
 * so a call finds its Python function without a lookup, and keeps one ctx object that is
 * reused call after call unless module code kept a reference to it (then the kept object
 * stays finished: its context is gone, any use raises, and a new one is made).
 *
 * The rules are those of the former Python ReplyStream/CallState: one reply per command (a
 * second top-level reply is dropped and logged), a collection left half-sent is completed
 * with nulls, a command that replied nothing answers Ferrite's error, and Ferrite's
 * propagation rule: a write command that changed data and asked for no replication is
 * replicated verbatim.
 *
 * Blocking (ferrite_host.bridge.blocking / async_commands) hooks in at two rare points: a
 * command that blocked its client records the handle in `blocking`, and when the handle
 * took the reply the call's end sends none and propagates nothing verbatim; a function that
 * returned a coroutine (an `async def` command) is handed to async_commands.start_async,
 * which moves the call onto a thread-safe context (`_move_to`) where the coroutine goes on.
 */

#define AGG_ARRAY 0
#define AGG_MAP 1
#define AGG_SET 2
#define INLINE_AGGREGATES 8

typedef struct {
    int kind;
    long expected; /* element count (a map's counts keys and values), or RM_POSTPONED_LEN */
    long sent;
} OpenAggregate;

typedef struct {
    PyObject_HEAD
    RedisModuleCtx *ctx;        /* NULL once the call finished */
    RedisModuleString **rargv;  /* Redis's argv while the call runs (for `argv`) */
    int rargc;
    PyObject *argv;             /* list[bytes] with the name, built on first use */
    PyObject *command;          /* str */
    PyObject *module;           /* the RedisModule, or None */
    PyObject *registry;
    PyObject *keys;             /* the open BridgeKeys (list), made on first use */
    PyObject *blocking;         /* the handle the command blocked its client with, or NULL */
    char write_command, wrote, asked, detached, dropped, in_use;
    long top_level;             /* top-level replies sent */
    int open_len, open_cap;
    OpenAggregate *open;
    OpenAggregate open_inline[INLINE_AGGREGATES];
} CallObject;

typedef struct {
    PyObject_HEAD
    CallObject *call;
    PyObject *module; /* the Pythonic Module */
} ContextObject;

static PyTypeObject CallType;
static PyTypeObject ContextType;

/* What the runtime hands over once (native.configure): classes and the rare paths' helpers. */
static PyObject *obj_status_ok, *obj_rms_class, *obj_args_class, *obj_to_reply, *obj_to_bytes;
static PyObject *obj_line_bytes, *obj_warn_dropped, *obj_warn_failed, *obj_failure;
static PyObject *obj_reply_error_message, *obj_wrong_arity, *obj_simple_string, *obj_error;
static PyObject *obj_set_reply, *obj_verbatim, *obj_big_number, *obj_null_array;
static PyObject *obj_registry, *obj_start_async;

/* ---- the reply stream ------------------------------------------------------------------ */

static int ctx_alive(CallObject *c) {
    if (c->ctx) return 1;
    PyErr_SetString(PyExc_RuntimeError, "ferrite bridge: context or key is no longer valid");
    return 0;
}

/* Whether one more reply may go out: inside a collection, or the first top-level one. */
static int may_send(CallObject *c) {
    if (c->open_len || c->top_level == 0) return 1;
    if (!c->dropped) {
        c->dropped = 1;
        PyObject *r = PyObject_CallOneArg(obj_warn_dropped, c->command);
        if (!r) PyErr_Clear();
        Py_XDECREF(r);
    }
    return 0;
}

static void element_done(CallObject *c) {
    while (c->open_len) {
        OpenAggregate *top = &c->open[c->open_len - 1];
        top->sent++;
        if (top->expected == RM_POSTPONED_LEN || top->sent < top->expected) return;
        c->open_len--;
    }
    c->top_level++;
}

static int push_open(CallObject *c, int kind, long expected) {
    if (c->open_len == c->open_cap) {
        int cap = c->open_cap * 2;
        OpenAggregate *grown = PyMem_Malloc(sizeof *grown * (size_t)cap);
        if (!grown) {
            PyErr_NoMemory();
            return -1;
        }
        memcpy(grown, c->open, sizeof *grown * (size_t)c->open_len);
        if (c->open != c->open_inline) PyMem_Free(c->open);
        c->open = grown;
        c->open_cap = cap;
    }
    c->open[c->open_len++] = (OpenAggregate){kind, expected, 0};
    return 0;
}

/* Start an array, map or set of `length` (RM_POSTPONED_LEN: given later). 0 or -1. */
static int stream_open(CallObject *c, int kind, long length) {
    if (!may_send(c)) return 0;
    if (!ctx_alive(c)) return -1;
    if (kind == AGG_MAP) {
        if (!RM_ReplyWithMap) goto missing;
        RM_ReplyWithMap(c->ctx, length);
    } else if (kind == AGG_SET) {
        if (!RM_ReplyWithSet) goto missing;
        RM_ReplyWithSet(c->ctx, length);
    } else {
        RM_ReplyWithArray(c->ctx, length);
    }
    long expected = kind == AGG_MAP && length != RM_POSTPONED_LEN ? length * 2 : length;
    if (expected == 0) {
        element_done(c);
        return 0;
    }
    return push_open(c, kind, expected);
missing:
    PyErr_SetString(PyExc_NotImplementedError, "RESP3 maps and sets need Redis 6 or later");
    return -1;
}

static void send_aggregate_length(CallObject *c, int kind, long length) {
    if (kind == AGG_MAP && RM_ReplySetMapLength) RM_ReplySetMapLength(c->ctx, length);
    else if (kind == AGG_SET && RM_ReplySetSetLength) RM_ReplySetSetLength(c->ctx, length);
    else RM_ReplySetArrayLength(c->ctx, length);
}

/* Give the most recent postponed collection of `kind` (any, for ARRAY) its length. */
static int stream_set_length(CallObject *c, int kind, long length) {
    for (int index = c->open_len - 1; index >= 0; index--) {
        OpenAggregate *entry = &c->open[index];
        if (entry->expected == RM_POSTPONED_LEN && (entry->kind == kind || kind == AGG_ARRAY)) {
            if (!ctx_alive(c)) return -1;
            send_aggregate_length(c, entry->kind, length);
            entry->expected = entry->kind == AGG_MAP ? length * 2 : length;
            if (index == c->open_len - 1 && entry->sent >= entry->expected) {
                c->open_len--;
                element_done(c);
            }
            return 0;
        }
    }
    PyErr_Format(PyExc_ValueError, "no postponed reply length is waiting to be set (%U)",
                 c->command);
    return -1;
}

/* Each scalar reply: 0, or -1 with an exception (the context is gone). */
#define SCALAR(c, send)                                                                      \
    do {                                                                                     \
        if (!may_send(c)) return 0;                                                          \
        if (!ctx_alive(c)) return -1;                                                        \
        send;                                                                                \
        element_done(c);                                                                     \
        return 0;                                                                            \
    } while (0)

static int send_long_long(CallObject *c, long long value) {
    SCALAR(c, RM_ReplyWithLongLong(c->ctx, value));
}

static int send_bulk(CallObject *c, const char *data, size_t length) {
    SCALAR(c, RM_ReplyWithStringBuffer(c->ctx, data, length));
}

static int send_null(CallObject *c) { SCALAR(c, RM_ReplyWithNull(c->ctx)); }

static int send_double(CallObject *c, double value) {
    SCALAR(c, RM_ReplyWithDouble(c->ctx, value));
}

static int send_missing(const char *name) {
    PyErr_Format(PyExc_NotImplementedError, "RedisModule_%s is not available on this Redis "
                                            "version", name);
    return -1;
}

static int send_bool(CallObject *c, int value) {
    if (!RM_ReplyWithBool) return send_missing("ReplyWithBool");
    SCALAR(c, RM_ReplyWithBool(c->ctx, value));
}

static int send_null_array(CallObject *c) {
    if (!RM_ReplyWithNullArray) return send_missing("ReplyWithNullArray");
    SCALAR(c, RM_ReplyWithNullArray(c->ctx));
}

static int send_big_number(CallObject *c, const char *data, size_t length) {
    if (!RM_ReplyWithBigNumber) return send_missing("ReplyWithBigNumber");
    SCALAR(c, RM_ReplyWithBigNumber(c->ctx, data, length));
}

static int send_verbatim(CallObject *c, const char *data, size_t length) {
    if (!RM_ReplyWithVerbatimString) return send_missing("ReplyWithVerbatimString");
    SCALAR(c, RM_ReplyWithVerbatimString(c->ctx, data, length));
}

/* A text safe as a protocol line as it is: ASCII, no NUL and no line break of any kind
 * str.splitlines() knows (the rare others go through replies.line_bytes). */
static int plain_line(const char *data, Py_ssize_t length) {
    for (Py_ssize_t i = 0; i < length; i++) {
        unsigned char ch = (unsigned char)data[i];
        if (ch == 0 || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f' || ch >= 0x7f ||
            (ch >= 0x1c && ch <= 0x1e))
            return 0;
    }
    return 1;
}

/* `kind` 0: a simple string, 1: an error; `text` str or bytes, as _text() takes it; `strip`
 * drops trailing CR/LF first (reply_with_error). */
static int send_line(CallObject *c, int kind, PyObject *text, int strip) {
    const char *data = NULL;
    Py_ssize_t length = 0;
    PyObject *converted = NULL;
    if (PyUnicode_Check(text) && PyUnicode_IS_ASCII(text)) {
        data = PyUnicode_AsUTF8AndSize(text, &length);
    } else if (PyBytes_Check(text)) {
        data = PyBytes_AS_STRING(text);
        length = PyBytes_GET_SIZE(text);
    }
    if (data && strip)
        while (length && (data[length - 1] == '\r' || data[length - 1] == '\n')) length--;
    if (!data || !plain_line(data, length)) {
        converted = PyObject_CallFunction(obj_line_bytes, "Oi", text, strip);
        if (!converted) return -1;
        if (!PyBytes_Check(converted)) {
            Py_DECREF(converted);
            PyErr_SetString(PyExc_TypeError, "line_bytes must answer bytes");
            return -1;
        }
        data = PyBytes_AS_STRING(converted);
        length = PyBytes_GET_SIZE(converted);
    }
    int result = 0;
    if (!may_send(c)) goto done;
    if (!ctx_alive(c)) {
        result = -1;
        goto done;
    }
    /* a C string: copy when the text does not end where the buffer does */
    char small[256];
    char *line = small;
    if ((size_t)length >= sizeof small) line = PyMem_Malloc((size_t)length + 1);
    if (!line) {
        PyErr_NoMemory();
        result = -1;
        goto done;
    }
    memcpy(line, data, (size_t)length);
    line[length] = '\0';
    if (kind == 1) RM_ReplyWithError(c->ctx, line);
    else RM_ReplyWithSimpleString(c->ctx, line);
    if (line != small) PyMem_Free(line);
    element_done(c);
done:
    Py_XDECREF(converted);
    return result;
}

static int send_error_text(CallObject *c, PyObject *text) { return send_line(c, 1, text, 0); }

/* The bytes of `value` as strconv.to_bytes gives them; a new reference. */
static PyObject *as_bytes(PyObject *value) {
    if (PyBytes_Check(value)) {
        Py_INCREF(value);
        return value;
    }
    PyObject *converted = PyObject_CallOneArg(obj_to_bytes, value);
    if (converted && !PyBytes_Check(converted)) {
        Py_DECREF(converted);
        PyErr_SetString(PyExc_TypeError, "to_bytes must answer bytes");
        return NULL;
    }
    return converted;
}

static int send_bulk_object(CallObject *c, PyObject *value) {
    PyObject *data = as_bytes(value);
    if (!data) return -1;
    int result = send_bulk(c, PyBytes_AS_STRING(data), (size_t)PyBytes_GET_SIZE(data));
    Py_DECREF(data);
    return result;
}

static int send_exact_int(CallObject *c, PyObject *value) {
    long long number = PyLong_AsLongLong(value);
    if (number == -1 && PyErr_Occurred()) return -1;
    return send_long_long(c, number);
}

/* A reply value tree as Ferrite's encoder would write it (ReplyStream.value's rules). */
static int send_value(CallObject *c, PyObject *reply) {
    PyTypeObject *kind = Py_TYPE(reply);
    if (kind == &PyBytes_Type)
        return send_bulk(c, PyBytes_AS_STRING(reply), (size_t)PyBytes_GET_SIZE(reply));
    if (kind == &PyLong_Type) return send_exact_int(c, reply);
    if (reply == Py_None) return send_null(c);
    if ((PyObject *)kind == obj_simple_string) return send_line(c, 0, reply, 0);
    if ((PyObject *)kind == obj_error) return send_line(c, 1, reply, 0);
    if (kind == &PyBool_Type) return send_bool(c, reply == Py_True);
    if (kind == &PyFloat_Type) return send_double(c, PyFloat_AS_DOUBLE(reply));
    if (kind == &PyList_Type || kind == &PyTuple_Type || (PyObject *)kind == obj_set_reply) {
        PyObject *items = PySequence_Fast(reply, "a reply sequence");
        if (!items) return -1;
        Py_ssize_t count = PySequence_Fast_GET_SIZE(items);
        int result = stream_open(c, (PyObject *)kind == obj_set_reply ? AGG_SET : AGG_ARRAY,
                                 (long)count);
        for (Py_ssize_t i = 0; result == 0 && i < PySequence_Fast_GET_SIZE(items); i++)
            result = send_value(c, PySequence_Fast_GET_ITEM(items, i));
        Py_DECREF(items);
        return result;
    }
    if (kind == &PyDict_Type) {
        if (stream_open(c, AGG_MAP, (long)PyDict_GET_SIZE(reply)) < 0) return -1;
        Py_ssize_t pos = 0;
        PyObject *key, *item;
        Py_INCREF(reply);
        int result = 0;
        while (result == 0 && PyDict_Next(reply, &pos, &key, &item)) {
            Py_INCREF(key);
            Py_INCREF(item);
            result = send_value(c, key);
            if (result == 0) result = send_value(c, item);
            Py_DECREF(key);
            Py_DECREF(item);
        }
        Py_DECREF(reply);
        return result;
    }
    if (kind == &PySet_Type || kind == &PyFrozenSet_Type) {
        if (stream_open(c, AGG_SET, (long)PySet_GET_SIZE(reply)) < 0) return -1;
        PyObject *iterator = PyObject_GetIter(reply);
        if (!iterator) return -1;
        PyObject *item;
        int result = 0;
        while (result == 0 && (item = PyIter_Next(iterator)) != NULL) {
            result = send_value(c, item);
            Py_DECREF(item);
        }
        Py_DECREF(iterator);
        return result == 0 && PyErr_Occurred() ? -1 : result;
    }
    if (PyObject_TypeCheck(reply, (PyTypeObject *)obj_verbatim)) {
        PyObject *data = PyObject_GetAttrString(reply, "data");
        if (!data) return -1;
        PyObject *raw = PyBytes_FromObject(data);
        Py_DECREF(data);
        if (!raw) return -1;
        int result = send_verbatim(c, PyBytes_AS_STRING(raw), (size_t)PyBytes_GET_SIZE(raw));
        Py_DECREF(raw);
        return result;
    }
    if ((PyObject *)kind == obj_big_number) {
        Py_ssize_t length;
        const char *digits = PyUnicode_AsUTF8AndSize(reply, &length);
        if (!digits) return -1;
        return send_big_number(c, digits, (size_t)length);
    }
    if ((PyObject *)kind == obj_null_array) return send_null_array(c);
    if (PyBytes_Check(reply) || PyByteArray_Check(reply) || PyMemoryView_Check(reply)) {
        PyObject *raw = PyBytes_FromObject(reply);
        if (!raw) return -1;
        int result = send_bulk(c, PyBytes_AS_STRING(raw), (size_t)PyBytes_GET_SIZE(raw));
        Py_DECREF(raw);
        return result;
    }
    if (PyUnicode_Check(reply)) {
        PyObject *raw = PyUnicode_AsUTF8String(reply);
        if (!raw) return -1;
        int result = send_bulk(c, PyBytes_AS_STRING(raw), (size_t)PyBytes_GET_SIZE(raw));
        Py_DECREF(raw);
        return result;
    }
    if (PyLong_Check(reply)) {
        PyObject *number = PyNumber_Long(reply);
        if (!number) return -1;
        int result = send_exact_int(c, number);
        Py_DECREF(number);
        return result;
    }
    PyErr_Format(PyExc_TypeError, "%s is not a reply value", kind->tp_name);
    return -1;
}

/* End of the call: complete what is half-sent, answer something if nothing was. */
static int stream_finish(CallObject *c, PyObject *failure) {
    while (c->open_len) {
        OpenAggregate *top = &c->open[c->open_len - 1];
        if (top->expected == RM_POSTPONED_LEN) {
            send_aggregate_length(c, top->kind, top->kind == AGG_MAP ? top->sent / 2 : top->sent);
            c->open_len--;
            element_done(c);
        } else if (send_null(c) < 0) {
            return -1;
        }
    }
    if (c->top_level == 0) {
        if (failure) return send_error_text(c, failure);
        PyObject *text = PyUnicode_FromFormat(
            "ERR module command '%U' returned without replying", c->command);
        if (!text) return -1;
        int result = send_error_text(c, text);
        Py_DECREF(text);
        return result;
    }
    if (failure) {
        PyObject *r = PyObject_CallFunctionObjArgs(obj_warn_failed, c->command, failure, NULL);
        if (!r) PyErr_Clear();
        Py_XDECREF(r);
    }
    return 0;
}

/* Close the keys the call left open (each BridgeKey.close() removes itself). */
static void close_keys(CallObject *c) {
    if (!c->keys || PyList_GET_SIZE(c->keys) == 0) return;
    PyObject *open = PyList_GetSlice(c->keys, 0, PyList_GET_SIZE(c->keys));
    if (!open) {
        log_python_error(c->ctx, "closing the command's keys");
        return;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(open); i++) {
        PyObject *r = PyObject_CallMethod(PyList_GET_ITEM(open, i), "close", NULL);
        if (!r) log_python_error(c->ctx, "closing a key");
        Py_XDECREF(r);
    }
    Py_DECREF(open);
    PyList_SetSlice(c->keys, 0, PyList_GET_SIZE(c->keys), NULL);
}

/* Whether the command blocked its client and the handle answers it (later, or Redis did
 * at once): then the call itself sends no reply and propagates nothing verbatim. The
 * handle is Python (blocking.BridgeBlockedClient); only a blocking command asks it. */
static int took_reply(CallObject *c) {
    if (!c->blocking || c->blocking == Py_None) return 0;
    PyObject *answer = PyObject_CallMethod(c->blocking, "took_reply", NULL);
    int taken = answer ? PyObject_IsTrue(answer) : -1;
    Py_XDECREF(answer);
    if (taken < 0) {
        log_python_error(c->ctx, "asking a blocked client's handle");
        return 1; /* the handle's client is not answered twice */
    }
    return taken;
}

/* Close keys, complete the replies, apply the propagation rule, end the context. */
static void call_finish(CallObject *c, PyObject *failure) {
    if (!c->ctx) return;
    close_keys(c);
    if (!c->detached && !took_reply(c)) {
        if (failure || c->top_level != 1 || c->open_len) {
            if (stream_finish(c, failure) < 0) log_python_error(c->ctx, "finishing the reply");
        }
        if (c->wrote && !c->asked && c->write_command) RM_ReplicateVerbatim(c->ctx);
    }
    Py_CLEAR(c->blocking);
    c->ctx = NULL;
    c->rargv = NULL;
    c->rargc = 0;
}

/* ---- the Call type ---------------------------------------------------------------------- */

static void call_reset(CallObject *c, RedisModuleCtx *ctx) {
    c->ctx = ctx;
    c->wrote = c->asked = c->dropped = 0;
    c->top_level = 0;
    c->open_len = 0;
    Py_CLEAR(c->blocking);
}

static CallObject *call_alloc(PyTypeObject *type) {
    CallObject *c = (CallObject *)type->tp_alloc(type, 0);
    if (!c) return NULL;
    c->open = c->open_inline;
    c->open_cap = INLINE_AGGREGATES;
    Py_INCREF(Py_None);
    c->command = Py_None;
    Py_INCREF(Py_None);
    c->module = Py_None;
    c->registry = obj_registry ? obj_registry : Py_None;
    Py_INCREF(c->registry);
    return c;
}

/* Call(addr, command, module, argv, registry, write_command, detached=False): a context the
 * runtime makes itself (timers, events); Call(call) answers `call` (the former
 * BridgeCtx(CallState) spelling). */
static PyObject *call_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    if (PyTuple_GET_SIZE(args) == 1 && !kwds &&
        PyObject_TypeCheck(PyTuple_GET_ITEM(args, 0), &CallType)) {
        PyObject *existing = PyTuple_GET_ITEM(args, 0);
        Py_INCREF(existing);
        return existing;
    }
    static char *names[] = {"addr", "command", "module", "argv", "registry", "write_command",
                            "detached", NULL};
    PyObject *addr, *command, *module, *argv, *registry;
    int write_command = 0, detached = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OUOO!O|pp:Call", names, &addr, &command,
                                     &module, &PyList_Type, &argv, &registry, &write_command,
                                     &detached))
        return NULL;
    void *ctx = PyLong_AsVoidPtr(addr);
    if (!ctx && PyErr_Occurred()) return NULL;
    CallObject *c = call_alloc(type);
    if (!c) return NULL;
    call_reset(c, ctx);
    Py_INCREF(command);
    Py_SETREF(c->command, command);
    Py_INCREF(module);
    Py_SETREF(c->module, module);
    Py_INCREF(registry);
    Py_SETREF(c->registry, registry);
    Py_INCREF(argv);
    c->argv = argv;
    c->write_command = (char)write_command;
    c->detached = (char)detached;
    return (PyObject *)c;
}

/* The types are static: a heap subclass's own traverse/dealloc (subtype_traverse,
 * subtype_dealloc) visit and release the class, so these must not. */
static int call_traverse(CallObject *c, visitproc visit, void *arg) {
    Py_VISIT(c->argv);
    Py_VISIT(c->command);
    Py_VISIT(c->module);
    Py_VISIT(c->registry);
    Py_VISIT(c->keys);
    Py_VISIT(c->blocking);
    return 0;
}

static int call_clear(CallObject *c) {
    Py_CLEAR(c->argv);
    Py_CLEAR(c->command);
    Py_CLEAR(c->module);
    Py_CLEAR(c->registry);
    Py_CLEAR(c->keys);
    Py_CLEAR(c->blocking);
    return 0;
}

static void call_dealloc(CallObject *c) {
    PyTypeObject *type = Py_TYPE(c);
    PyObject_GC_UnTrack(c);
    call_clear(c);
    if (c->open != c->open_inline) PyMem_Free(c->open);
    type->tp_free((PyObject *)c);
}

/* The method's `self`: its Call, and a live context (or an exception). */
#define SELF_CALL CallObject *c = (CallObject *)self;

static PyObject *ok_status(int result) {
    if (result < 0) return NULL;
    Py_INCREF(obj_status_ok);
    return obj_status_ok;
}

static PyObject *m_reply_with_long_long(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    SELF_CALL;
    NEED(1);
    PyObject *value = args[0];
    if (!PyLong_CheckExact(value)) {
        value = PyNumber_Long(value); /* int(value), as the Python ctx did */
        if (!value) return NULL;
    } else {
        Py_INCREF(value);
    }
    int overflow = 0;
    long long number = PyLong_AsLongLongAndOverflow(value, &overflow);
    if (overflow) {
        PyErr_Format(PyExc_OverflowError, "reply_with_long_long: %S does not fit in 64 bits",
                     value);
        Py_DECREF(value);
        return NULL;
    }
    Py_DECREF(value);
    if (number == -1 && PyErr_Occurred()) return NULL;
    return ok_status(send_long_long(c, number));
}

static PyObject *m_reply_with_string(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    SELF_CALL;
    NEED(1);
    return ok_status(send_bulk_object(c, args[0]));
}

static PyObject *m_reply_with_string_buffer(PyObject *self, PyObject *const *args,
                                            Py_ssize_t nargs) {
    SELF_CALL;
    NEED(1);
    PyObject *raw = PyBytes_FromObject(args[0]);
    if (!raw) return NULL;
    int result = send_bulk(c, PyBytes_AS_STRING(raw), (size_t)PyBytes_GET_SIZE(raw));
    Py_DECREF(raw);
    return ok_status(result);
}

static PyObject *m_reply_with_c_string(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    SELF_CALL;
    NEED(1);
    PyObject *raw = PyObject_CallMethod(args[0], "encode", "s", "utf-8");
    if (!raw) return NULL;
    int result = send_bulk_object(c, raw);
    Py_DECREF(raw);
    return ok_status(result);
}

static PyObject *m_reply_with_simple_string(PyObject *self, PyObject *const *args,
                                            Py_ssize_t nargs) {
    SELF_CALL;
    NEED(1);
    return ok_status(send_line(c, 0, args[0], 0));
}

static PyObject *m_reply_with_error(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    SELF_CALL;
    NEED(1);
    return ok_status(send_line(c, 1, args[0], 1));
}

static PyObject *m_reply_with_null(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    SELF_CALL;
    NEED(0);
    return ok_status(send_null(c));
}

static PyObject *m_reply_with_null_array(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    SELF_CALL;
    NEED(0);
    return ok_status(send_null_array(c));
}

static PyObject *m_reply_with_empty_array(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    SELF_CALL;
    NEED(0);
    return ok_status(stream_open(c, AGG_ARRAY, 0));
}

static PyObject *open_with(PyObject *self, PyObject *const *args, Py_ssize_t nargs, int kind) {
    SELF_CALL;
    NEED(1);
    long length = PyLong_AsLong(args[0]);
    if (length == -1 && PyErr_Occurred()) return NULL;
    return ok_status(stream_open(c, kind, length));
}

static PyObject *set_length_of(PyObject *self, PyObject *const *args, Py_ssize_t nargs, int kind) {
    SELF_CALL;
    NEED(1);
    long length = PyLong_AsLong(args[0]);
    if (length == -1 && PyErr_Occurred()) return NULL;
    if (stream_set_length(c, kind, length) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *m_reply_with_array(PyObject *s, PyObject *const *a, Py_ssize_t nargs) {
    return open_with(s, a, nargs, AGG_ARRAY);
}
static PyObject *m_reply_with_map(PyObject *s, PyObject *const *a, Py_ssize_t nargs) {
    return open_with(s, a, nargs, AGG_MAP);
}
static PyObject *m_reply_with_set(PyObject *s, PyObject *const *a, Py_ssize_t nargs) {
    return open_with(s, a, nargs, AGG_SET);
}
static PyObject *m_reply_set_array_length(PyObject *s, PyObject *const *a, Py_ssize_t nargs) {
    return set_length_of(s, a, nargs, AGG_ARRAY);
}
static PyObject *m_reply_set_map_length(PyObject *s, PyObject *const *a, Py_ssize_t nargs) {
    return set_length_of(s, a, nargs, AGG_MAP);
}
static PyObject *m_reply_set_set_length(PyObject *s, PyObject *const *a, Py_ssize_t nargs) {
    return set_length_of(s, a, nargs, AGG_SET);
}

static PyObject *m_reply_with_double(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    SELF_CALL;
    NEED(1);
    double value = PyFloat_AsDouble(args[0]);
    if (value == -1.0 && PyErr_Occurred()) return NULL;
    return ok_status(send_double(c, value));
}

static PyObject *m_reply_with_bool(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    SELF_CALL;
    NEED(1);
    int truth = PyObject_IsTrue(args[0]);
    if (truth < 0) return NULL;
    return ok_status(send_bool(c, truth));
}

static PyObject *m_reply_with_big_number(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    SELF_CALL;
    NEED(1);
    PyObject *raw = as_bytes(args[0]);
    if (!raw) return NULL;
    int result = send_big_number(c, PyBytes_AS_STRING(raw), (size_t)PyBytes_GET_SIZE(raw));
    Py_DECREF(raw);
    return ok_status(result);
}

/* reply_with_verbatim_string(text, fmt="txt"): Redis 7.0 sends every verbatim string as
 * `txt`, so `fmt` is checked, not sent. */
static PyObject *m_reply_with_verbatim_string(PyObject *self, PyObject *const *args,
                                              Py_ssize_t n, PyObject *kwnames) {
    SELF_CALL;
    PyObject *text = NULL, *fmt = NULL;
    Py_ssize_t given = n + (kwnames ? PyTuple_GET_SIZE(kwnames) : 0);
    if (n >= 1) text = args[0];
    if (n >= 2) fmt = args[1];
    for (Py_ssize_t i = 0; kwnames && i < PyTuple_GET_SIZE(kwnames); i++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, i);
        if (PyUnicode_CompareWithASCIIString(name, "fmt") == 0 && !fmt) fmt = args[n + i];
        else if (PyUnicode_CompareWithASCIIString(name, "text") == 0 && !text) text = args[n + i];
        else {
            PyErr_Format(PyExc_TypeError, "reply_with_verbatim_string() got an unexpected "
                                          "keyword argument '%U'", name);
            return NULL;
        }
    }
    if (!text || given > 2) {
        PyErr_SetString(PyExc_TypeError, "reply_with_verbatim_string(text, fmt='txt')");
        return NULL;
    }
    if (fmt && (!PyUnicode_Check(fmt) || PyUnicode_GET_LENGTH(fmt) != 3)) {
        PyErr_Format(PyExc_ValueError, "verbatim string format must be 3 characters, got %R",
                     fmt);
        return NULL;
    }
    PyObject *raw = as_bytes(text);
    if (!raw) return NULL;
    int result = send_verbatim(c, PyBytes_AS_STRING(raw), (size_t)PyBytes_GET_SIZE(raw));
    Py_DECREF(raw);
    return ok_status(result);
}

static PyObject *m_reply_with_call_reply(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    SELF_CALL;
    NEED(1);
    return ok_status(send_value(c, args[0]));
}

/* _reply_value(tree): any reply value tree (the Pythonic return values). */
static PyObject *m_reply_value(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    SELF_CALL;
    NEED(1);
    if (send_value(c, args[0]) < 0) return NULL;
    Py_RETURN_NONE;
}

static int send_wrong_arity(CallObject *c) {
    PyObject *text = PyObject_CallOneArg(obj_wrong_arity, c->command);
    if (!text) return -1;
    int result = send_error_text(c, text);
    Py_DECREF(text);
    return result;
}

static PyObject *m_wrong_arity(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    SELF_CALL;
    NEED(0);
    return ok_status(send_wrong_arity(c));
}

static PyObject *m_get_selected_db(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    SELF_CALL;
    NEED(0);
    if (!ctx_alive(c)) return NULL;
    return PyLong_FromLong(RM_GetSelectedDb(c->ctx));
}

static PyObject *m_unfinished(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    SELF_CALL;
    NEED(0);
    return PyBool_FromLong(c->open_len > 0);
}

/* _finish(failure=None): what the runtime does when the callback returns. */
static PyObject *m_finish(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    SELF_CALL;
    if (nargs > 1) {
        PyErr_SetString(PyExc_TypeError, "_finish(failure=None)");
        return NULL;
    }
    PyObject *failure = nargs == 1 && args[0] != Py_None ? args[0] : NULL;
    if (failure && !PyUnicode_Check(failure)) {
        PyErr_SetString(PyExc_TypeError, "a failure is a str");
        return NULL;
    }
    call_finish(c, failure);
    Py_RETURN_NONE;
}

static PyObject *build_argv(RedisModuleString **argv, int argc);

/* _finish_replies(failure=None): complete the replies now (a half-sent collection with
 * nulls, nothing sent: the failure or Ferrite's error), also for a detached call: what a
 * blocked client's callback and an async command's end do. */
static PyObject *m_finish_replies(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    SELF_CALL;
    if (nargs > 1) {
        PyErr_SetString(PyExc_TypeError, "_finish_replies(failure=None)");
        return NULL;
    }
    PyObject *failure = nargs == 1 && args[0] != Py_None ? args[0] : NULL;
    if (failure && !PyUnicode_Check(failure)) {
        PyErr_SetString(PyExc_TypeError, "a failure is a str");
        return NULL;
    }
    if (!ctx_alive(c)) return NULL;
    if ((failure || c->top_level != 1 || c->open_len) && stream_finish(c, failure) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* _move_to(addr): an async command's call goes on in the thread-safe context `addr` bound
 * to its blocked client (whose replies are the client's): the keys opened in the command's
 * context are closed, its argv kept, the reply count starts again, and the call is detached
 * (the end of the command's own context sends and propagates nothing). */
static PyObject *m_move_to(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    SELF_CALL;
    NEED(1);
    void *ctx = PyLong_AsVoidPtr(args[0]);
    if (!ctx) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "_move_to needs a context");
        return NULL;
    }
    if (!ctx_alive(c)) return NULL;
    if (!c->argv && c->rargv && !(c->argv = build_argv(c->rargv, c->rargc))) return NULL;
    close_keys(c);
    c->ctx = ctx;
    c->rargv = NULL;
    c->rargc = 0;
    c->detached = 1;
    c->top_level = 0;
    c->open_len = 0;
    c->dropped = 0;
    Py_RETURN_NONE;
}

#define CALL_METHOD(name) {#name, (PyCFunction)(void (*)(void))m_##name, METH_FASTCALL, NULL}
static PyMethodDef call_methods[] = {
    CALL_METHOD(reply_with_long_long),
    CALL_METHOD(reply_with_string),
    CALL_METHOD(reply_with_string_buffer),
    CALL_METHOD(reply_with_c_string),
    CALL_METHOD(reply_with_simple_string),
    CALL_METHOD(reply_with_error),
    CALL_METHOD(reply_with_null),
    CALL_METHOD(reply_with_null_array),
    CALL_METHOD(reply_with_empty_array),
    CALL_METHOD(reply_with_array),
    CALL_METHOD(reply_with_map),
    CALL_METHOD(reply_with_set),
    CALL_METHOD(reply_set_array_length),
    CALL_METHOD(reply_set_map_length),
    CALL_METHOD(reply_set_set_length),
    CALL_METHOD(reply_with_double),
    CALL_METHOD(reply_with_bool),
    CALL_METHOD(reply_with_big_number),
    {"reply_with_verbatim_string", (PyCFunction)(void (*)(void))m_reply_with_verbatim_string,
     METH_FASTCALL | METH_KEYWORDS, NULL},
    CALL_METHOD(reply_with_call_reply),
    CALL_METHOD(wrong_arity),
    CALL_METHOD(get_selected_db),
    {"_reply_value", (PyCFunction)(void (*)(void))m_reply_value, METH_FASTCALL, NULL},
    {"_unfinished", (PyCFunction)(void (*)(void))m_unfinished, METH_FASTCALL, NULL},
    {"_finish", (PyCFunction)(void (*)(void))m_finish, METH_FASTCALL, NULL},
    {"_finish_replies", (PyCFunction)(void (*)(void))m_finish_replies, METH_FASTCALL, NULL},
    {"_move_to", (PyCFunction)(void (*)(void))m_move_to, METH_FASTCALL, NULL},
    {NULL, NULL, 0, NULL}};

/* `argv`: the call's argv as bytes (the name first), made from Redis's strings once. */
static PyObject *build_argv(RedisModuleString **argv, int argc) {
    PyObject *list = PyList_New(argc);
    for (int i = 0; list && i < argc; i++) {
        size_t length = 0;
        const char *data = RM_StringPtrLen(argv[i], &length);
        PyObject *item = PyBytes_FromStringAndSize(data, (Py_ssize_t)length);
        if (!item) Py_CLEAR(list);
        else PyList_SET_ITEM(list, i, item);
    }
    return list;
}

static PyObject *g_argv(CallObject *c, void *unused) {
    (void)unused;
    if (!c->argv) {
        if (c->rargv) c->argv = build_argv(c->rargv, c->rargc);
        else c->argv = PyList_New(0);
        if (!c->argv) return NULL;
    }
    Py_INCREF(c->argv);
    return c->argv;
}

static PyObject *g_addr(CallObject *c, void *unused) {
    (void)unused;
    return PyLong_FromVoidPtr(c->ctx);
}

static PyObject *g_keys(CallObject *c, void *unused) {
    (void)unused;
    if (!c->keys && !(c->keys = PyList_New(0))) return NULL;
    Py_INCREF(c->keys);
    return c->keys;
}

static PyObject *g_db(CallObject *c, void *unused) {
    (void)unused;
    if (!ctx_alive(c)) return NULL;
    return PyLong_FromLong(RM_GetSelectedDb(c->ctx));
}

static PyObject *g_object(PyObject *value) {
    Py_INCREF(value);
    return value;
}
static PyObject *g_command(CallObject *c, void *u) { (void)u; return g_object(c->command); }
static PyObject *g_module(CallObject *c, void *u) { (void)u; return g_object(c->module); }
static PyObject *g_registry(CallObject *c, void *u) { (void)u; return g_object(c->registry); }
static PyObject *g_self(CallObject *c, void *u) { (void)u; return g_object((PyObject *)c); }
static PyObject *g_blocking(CallObject *c, void *u) {
    (void)u;
    return g_object(c->blocking ? c->blocking : Py_None);
}
static int s_blocking(CallObject *c, PyObject *value, void *u) {
    (void)u;
    Py_XSETREF(c->blocking, value && value != Py_None ? Py_NewRef(value) : NULL);
    return 0;
}
static PyObject *g_top_level(CallObject *c, void *u) {
    (void)u;
    return PyLong_FromLong(c->top_level);
}

#define FLAG_ACCESSORS(field)                                                                \
    static PyObject *g_##field(CallObject *c, void *u) {                                     \
        (void)u;                                                                             \
        return PyBool_FromLong(c->field);                                                    \
    }                                                                                        \
    static int s_##field(CallObject *c, PyObject *value, void *u) {                          \
        (void)u;                                                                             \
        if (!value) {                                                                        \
            PyErr_SetString(PyExc_AttributeError, "cannot delete " #field);                  \
            return -1;                                                                       \
        }                                                                                    \
        int truth = PyObject_IsTrue(value);                                                  \
        if (truth < 0) return -1;                                                            \
        c->field = (char)truth;                                                              \
        return 0;                                                                            \
    }
FLAG_ACCESSORS(wrote)
FLAG_ACCESSORS(asked)
FLAG_ACCESSORS(write_command)
FLAG_ACCESSORS(detached)

#define GETTER(name, field) {name, (getter)g_##field, NULL, NULL, NULL}
#define FLAG(name, field) {name, (getter)g_##field, (setter)s_##field, NULL, NULL}
static PyGetSetDef call_getset[] = {
    GETTER("db", db),
    GETTER("command_name", command),
    GETTER("module", module),
    GETTER("addr", addr),
    GETTER("argv", argv),
    GETTER("command", command),
    GETTER("keys", keys),
    GETTER("registry", registry),
    GETTER("top_level", top_level),
    FLAG("wrote", wrote),
    FLAG("asked", asked),
    FLAG("write_command", write_command),
    FLAG("_detached", detached),
    {"blocking", (getter)g_blocking, (setter)s_blocking,
     "The handle the command blocked its client with (blocking.py), or None.", NULL},
    {"_call", (getter)g_self, NULL, "The call's state: the ctx itself.", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject CallType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "ferrite_host.bridge._native.Call",
    .tp_basicsize = sizeof(CallObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "One command call's state on Redis (the bridge's RedisModuleCtx base).",
    .tp_new = call_new,
    .tp_dealloc = (destructor)call_dealloc,
    .tp_traverse = (traverseproc)call_traverse,
    .tp_clear = (inquiry)call_clear,
    .tp_methods = call_methods,
    .tp_getset = call_getset,
};

/* ---- the Pythonic Context's base: its call and Module --------------------------------- */

static ContextObject *context_alloc(PyTypeObject *type, CallObject *call, PyObject *module) {
    ContextObject *x = (ContextObject *)type->tp_alloc(type, 0);
    if (!x) return NULL;
    Py_INCREF(call);
    x->call = call;
    Py_INCREF(module);
    x->module = module;
    return x;
}

/* Context(call, module) */
static PyObject *context_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    static char *names[] = {"call", "module", NULL};
    PyObject *call, *module;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!O:Context", names, &CallType, &call,
                                     &module))
        return NULL;
    return (PyObject *)context_alloc(type, (CallObject *)call, module);
}

static int context_traverse(ContextObject *x, visitproc visit, void *arg) {
    Py_VISIT(x->call);
    Py_VISIT(x->module);
    return 0;
}

static int context_clear(ContextObject *x) {
    Py_CLEAR(x->call);
    Py_CLEAR(x->module);
    return 0;
}

static void context_dealloc(ContextObject *x) {
    PyTypeObject *type = Py_TYPE(x);
    PyObject_GC_UnTrack(x);
    context_clear(x);
    type->tp_free((PyObject *)x);
}

static PyObject *x_call(ContextObject *x, void *u) { (void)u; return g_object((PyObject *)x->call); }
static PyObject *x_module(ContextObject *x, void *u) { (void)u; return g_object(x->module); }
static PyObject *x_db(ContextObject *x, void *u) { return g_db(x->call, u); }
static PyObject *x_command(ContextObject *x, void *u) { return g_command(x->call, u); }

static PyGetSetDef context_getset[] = {
    {"_call", (getter)x_call, NULL, NULL, NULL},
    {"_redis", (getter)x_call, NULL, NULL, NULL},
    {"redis", (getter)x_call, NULL, "The Redis-shaped ctx of this call.", NULL},
    {"_module", (getter)x_module, NULL, NULL, NULL},
    {"db", (getter)x_db, NULL, NULL, NULL},
    {"command_name", (getter)x_command, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject ContextType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "ferrite_host.bridge._native.Context",
    .tp_basicsize = sizeof(ContextObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "The Pythonic Context's base on Redis: its call and its Module.",
    .tp_new = context_new,
    .tp_dealloc = (destructor)context_dealloc,
    .tp_traverse = (traverseproc)context_traverse,
    .tp_clear = (inquiry)context_clear,
    .tp_getset = context_getset,
};

/* ---- the GIL across one event-loop iteration ------------------------------------------- */

/* Taking and dropping the GIL around every command costs as much as a simple command's
 * Python. So the main thread keeps it from its first command in an event-loop iteration
 * until Redis's BeforeSleep event, where it is dropped before Redis sleeps (and before
 * beforeSleep releases Redis's own module lock to threads). Between BeforeSleep and
 * AfterSleep (commands beforeSleep itself runs for unblocked clients, and anything outside
 * the loop) each command takes and drops it as before; other threads (lazy frees, module
 * threads) wait at most one iteration, or one switch interval of Python running on the
 * main thread. Without the EventLoop event (an older Redis) nothing is kept. */

static pthread_t main_thread;
static PyThreadState *main_tstate; /* the main thread's state while it does not hold the GIL */
static int gil_kept = 0;           /* the main thread holds the GIL until BeforeSleep */
static int keep_gil = 0;           /* between AfterSleep and BeforeSleep: keep it */

static void gil_started(PyThreadState *tstate) {
    main_tstate = tstate;
    main_thread = pthread_self();
}

typedef struct {
    int ensured;
    PyGILState_STATE state;
} PythonEntry;

static void python_enter(PythonEntry *entry) {
    entry->ensured = 0;
    if (pthread_equal(pthread_self(), main_thread)) {
        if (gil_kept) return;
        if (keep_gil && !PyGILState_Check()) {
            PyEval_RestoreThread(main_tstate);
            gil_kept = 1;
            return;
        }
    }
    entry->ensured = 1;
    entry->state = PyGILState_Ensure();
}

static void python_leave(PythonEntry *entry) {
    if (entry->ensured) PyGILState_Release(entry->state);
}

/* Redis's EventLoop server event (every bridge module subscribes; the first call of an
 * iteration does the work). */
static void loop_event(uint64_t subevent) {
    if (subevent == RM_SUBEVENT_EVENTLOOP_BEFORE_SLEEP) {
        keep_gil = 0;
        if (gil_kept && pthread_equal(pthread_self(), main_thread)) {
            gil_kept = 0;
            main_tstate = PyEval_SaveThread();
        }
    } else if (subevent == RM_SUBEVENT_EVENTLOOP_AFTER_SLEEP) {
        keep_gil = 1;
    }
}

static void loop_hook(RedisModuleCtx *ctx, RMEvent eid, uint64_t subevent, void *data) {
    (void)ctx;
    (void)eid;
    (void)data;
    loop_event(subevent);
}

/* Subscribe `ctx`'s module to the EventLoop event (nothing happens where Redis has none). */
static void subscribe_loop_hook(RedisModuleCtx *ctx) {
    if (!RM_SubscribeToServerEvent) return;
    RMEvent event = {RM_EVENT_EVENTLOOP, 1};
    RM_SubscribeToServerEvent(ctx, event, loop_hook);
}

/* ---- commands: one slot each ------------------------------------------------------------ */

#define MAX_COMMANDS 512

typedef struct {
    PyObject *callback;     /* the module's function */
    PyObject *pythonic;     /* the Pythonic Module whose function it is, or NULL */
    PyObject *name;         /* str, as declared */
    PyObject *module;       /* the RedisModule */
    PyTypeObject *ctx_type; /* BridgeCtx */
    PyTypeObject *wrapper_type; /* BridgeContext, for a Pythonic command */
    int write, arity;
    PyObject *cached;       /* the ctx object reused call after call (see take_ctx) */
} CommandSlot;

static CommandSlot command_slots[MAX_COMMANDS];

/* bind_command(slot, callback, pythonic or None, name, module, write, arity, ctx class,
 * Pythonic context class): the command in `slot` is live. */
static PyObject *n_bind_command(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 9) {
        PyErr_SetString(PyExc_TypeError, "bind_command takes 9 arguments");
        return NULL;
    }
    long slot = PyLong_AsLong(args[0]);
    if (slot == -1 && PyErr_Occurred()) return NULL;
    if (slot < 0 || slot >= MAX_COMMANDS) {
        PyErr_SetString(PyExc_ValueError, "ferrite bridge: no such command slot");
        return NULL;
    }
    if (!PyType_Check(args[7]) || !PyType_IsSubtype((PyTypeObject *)args[7], &CallType) ||
        !PyType_Check(args[8]) || !PyType_IsSubtype((PyTypeObject *)args[8], &ContextType)) {
        PyErr_SetString(PyExc_TypeError, "bind_command needs the Call and Context classes");
        return NULL;
    }
    int write = PyObject_IsTrue(args[5]);
    long arity = PyLong_AsLong(args[6]);
    if (write < 0 || (arity == -1 && PyErr_Occurred())) return NULL;
    CommandSlot *s = &command_slots[slot];
    Py_CLEAR(s->cached);
    Py_XSETREF(s->callback, Py_NewRef(args[1]));
    Py_XSETREF(s->pythonic, args[2] == Py_None ? NULL : Py_NewRef(args[2]));
    Py_XSETREF(s->name, Py_NewRef(args[3]));
    Py_XSETREF(s->module, Py_NewRef(args[4]));
    Py_XSETREF(s->ctx_type, (PyTypeObject *)Py_NewRef(args[7]));
    Py_XSETREF(s->wrapper_type, (PyTypeObject *)Py_NewRef(args[8]));
    s->write = write;
    s->arity = (int)arity;
    Py_RETURN_NONE;
}

/* configure({name: object}): the classes and helpers the C side calls (runtime import). */
static PyObject *n_configure(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 1 || !PyDict_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "configure takes one dict");
        return NULL;
    }
    struct {
        const char *name;
        PyObject **target;
    } wanted[] = {
        {"status_ok", &obj_status_ok}, {"redis_module_string", &obj_rms_class},
        {"args", &obj_args_class}, {"to_reply", &obj_to_reply}, {"to_bytes", &obj_to_bytes},
        {"line_bytes", &obj_line_bytes}, {"warn_dropped", &obj_warn_dropped},
        {"warn_failed", &obj_warn_failed}, {"failure", &obj_failure},
        {"reply_error_message", &obj_reply_error_message}, {"wrong_arity", &obj_wrong_arity},
        {"simple_string", &obj_simple_string}, {"error", &obj_error},
        {"set_reply", &obj_set_reply}, {"verbatim", &obj_verbatim},
        {"big_number", &obj_big_number}, {"null_array", &obj_null_array},
        {"registry", &obj_registry}, {"start_async", &obj_start_async},
    };
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
        PyObject *value = PyDict_GetItemString(args[0], wanted[i].name);
        if (!value) {
            PyErr_Format(PyExc_KeyError, "configure: '%s' is missing", wanted[i].name);
            return NULL;
        }
        Py_XSETREF(*wanted[i].target, Py_NewRef(value));
    }
    if (!PyType_Check(obj_rms_class) ||
        !PyType_IsSubtype((PyTypeObject *)obj_rms_class, &PyBytes_Type)) {
        PyErr_SetString(PyExc_TypeError, "configure: redis_module_string must subclass bytes");
        return NULL;
    }
    Py_RETURN_NONE;
}

/* A RedisModuleString (a bytes subclass) holding `data`, without a Python-level call. */
static PyObject *module_string(const char *data, size_t length) {
    PyTypeObject *type = (PyTypeObject *)obj_rms_class;
#if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030E0000
    PyObject *s = type->tp_alloc(type, (Py_ssize_t)length);
    if (!s) return NULL;
    memcpy(PyBytes_AS_STRING(s), data, length);
    PyBytes_AS_STRING(s)[length] = '\0';
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    ((PyBytesObject *)s)->ob_shash = -1; /* not hashed yet (tp_alloc zeroed it) */
#pragma GCC diagnostic pop
    return s;
#else
    PyObject *raw = PyBytes_FromStringAndSize(data, (Py_ssize_t)length);
    if (!raw) return NULL;
    PyObject *args = PyTuple_Pack(1, raw);
    Py_DECREF(raw);
    if (!args) return NULL;
    PyObject *s = PyBytes_Type.tp_new(type, args, NULL);
    Py_DECREF(args);
    return s;
#endif
}

/* The arguments after the name as RedisModuleStrings. */
static PyObject *module_args(RedisModuleString **argv, int argc) {
    PyObject *list = PyList_New(argc > 1 ? argc - 1 : 0);
    for (int i = 1; list && i < argc; i++) {
        size_t length = 0;
        const char *data = RM_StringPtrLen(argv[i], &length);
        PyObject *item = module_string(data, length);
        if (!item) Py_CLEAR(list);
        else PyList_SET_ITEM(list, i - 1, item);
    }
    return list;
}

/* The object the callback gets (a new reference), with `*call` its Call: the slot's cached
 * one when nothing else holds it, else (a re-entrant call of the same command, or module
 * code kept the previous one) a new one. */
static PyObject *take_ctx(CommandSlot *s, CallObject **call) {
    PyObject *cached = s->cached;
    if (cached) {
        CallObject *c = s->pythonic ? ((ContextObject *)cached)->call : (CallObject *)cached;
        if (!c->in_use) {
            *call = c;
            Py_INCREF(cached);
            return cached;
        }
    }
    CallObject *c = call_alloc(s->ctx_type);
    if (!c) return NULL;
    Py_SETREF(c->command, Py_NewRef(s->name));
    Py_SETREF(c->module, Py_NewRef(s->module));
    c->write_command = (char)s->write;
    PyObject *made = (PyObject *)c;
    if (s->pythonic) {
        made = (PyObject *)context_alloc(s->wrapper_type, c, s->pythonic);
        Py_DECREF(c);
        if (!made) return NULL;
    }
    if (!cached) s->cached = Py_NewRef(made);
    *call = c;
    return made;
}

/* After the call: the cached object stays cached only if nothing else kept it. */
static void give_back_ctx(CommandSlot *s, PyObject *made, CallObject *c) {
    c->in_use = 0;
    Py_CLEAR(c->argv);
    if (made == s->cached) {
        int kept = Py_REFCNT(made) > 2 ||
                   (s->pythonic && Py_REFCNT((PyObject *)c) > 1);
        if (kept) Py_CLEAR(s->cached);
    }
    Py_DECREF(made);
}

/* The failure text for the exception being raised (logged with its traceback), or NULL
 * when it is a ReplyError of a Pythonic command (then *error is its message). */
static PyObject *raised_exception(void) {
#if PY_VERSION_HEX >= 0x030C0000
    return PyErr_GetRaisedException();
#else
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    PyErr_NormalizeException(&type, &value, &traceback);
    if (value && traceback) PyException_SetTraceback(value, traceback);
    Py_XDECREF(type);
    Py_XDECREF(traceback);
    return value;
#endif
}

static void reraise(PyObject *exc) {
#if PY_VERSION_HEX >= 0x030C0000
    PyErr_SetRaisedException(exc);
#else
    PyErr_Restore(Py_NewRef((PyObject *)Py_TYPE(exc)), exc, PyException_GetTraceback(exc));
#endif
}

static PyObject *failure_of(CommandSlot *s, int pythonic, PyObject **error) {
    PyObject *exc = raised_exception();
    if (!exc) return PyUnicode_FromString("ERR ferrite bridge: internal error, see the server log");
    *error = NULL;
    if (pythonic) {
        PyObject *message = PyObject_CallOneArg(obj_reply_error_message, exc);
        if (!message) {
            log_python_error(NULL, "reading a ReplyError");
        } else if (message != Py_None) {
            Py_DECREF(exc);
            *error = message;
            return NULL;
        }
        Py_XDECREF(message);
    }
    PyObject *text = NULL;
    if (PyErr_GivenExceptionMatches(exc, PyExc_Exception)) {
        text = PyObject_CallFunctionObjArgs(obj_failure, s->name, s->module, exc, NULL);
        if (!text) log_python_error(NULL, "describing a command's failure");
    } else {
        reraise(Py_NewRef(exc));
        log_python_error(NULL, "command dispatch");
    }
    Py_DECREF(exc);
    if (!text) text = PyUnicode_FromString("ERR ferrite bridge: internal error, see the server log");
    return text;
}

static int arity_ok(CommandSlot *s, int argc) {
    return s->arity > 0 ? argc == s->arity : argc >= -s->arity;
}

/* A Pythonic command's return value as its reply: the plain scalars at once, the rest
 * through module.replies.to_reply (which refuses what is not a reply before anything is
 * sent). */
static int send_pythonic(CallObject *c, PyObject *result) {
    PyTypeObject *kind = Py_TYPE(result);
    if (kind == &PyLong_Type || kind == &PyBytes_Type || result == Py_None ||
        kind == &PyBool_Type || kind == &PyFloat_Type)
        return send_value(c, result);
    if (kind == &PyUnicode_Type) {
        Py_ssize_t length;
        const char *data = PyUnicode_AsUTF8AndSize(result, &length);
        if (!data) return -1;
        return send_bulk(c, data, (size_t)length);
    }
    PyObject *tree = PyObject_CallOneArg(obj_to_reply, result);
    if (!tree) return -1;
    int sent = send_value(c, tree);
    Py_DECREF(tree);
    return sent;
}

static PyObject *pythonic_args(CallObject *c) {
    PyObject *argv = g_argv(c, NULL);
    if (!argv) return NULL;
    PyObject *stack[2] = {argv, c->command};
    PyObject *args = PyObject_Vectorcall(obj_args_class, stack, 2, NULL);
    Py_DECREF(argv);
    return args;
}

/* The command returned a coroutine (an `async def` command): async_commands.start_async
 * blocks its client and runs it on the bridge's asyncio loop, moving the call onto a
 * thread-safe context. 1 when the call moved (the command's context is done with it), 0
 * when it did not (Redis refused to block and answered, or starting failed: logged and
 * answered with an error). */
static int start_async(CommandSlot *s, PyObject *made, CallObject *c, RedisModuleCtx *ctx,
                       PyObject *coroutine) {
    PyObject *stack[4] = {made, coroutine, s->name, s->module};
    PyObject *done = PyObject_Vectorcall(obj_start_async, stack, 4, NULL);
    int moved = c->ctx != ctx;
    if (done) {
        Py_DECREF(done);
        return moved;
    }
    if (moved) {
        log_python_error(NULL, "starting an async command");
        return 1;
    }
    PyObject *error = NULL;
    PyObject *failure = failure_of(s, 0, &error);
    Py_XDECREF(error);
    if (!took_reply(c) && failure && send_error_text(c, failure) < 0)
        log_python_error(ctx, "replying");
    Py_XDECREF(failure);
    PyObject *close = PyObject_CallMethod(coroutine, "close", NULL);
    if (!close) log_python_error(ctx, "closing a coroutine");
    Py_XDECREF(close);
    return 0;
}

static int run_command(int slot, RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    RM_AutoMemory(ctx);
    PythonEntry gil;
    python_enter(&gil);
    CommandSlot *s = &command_slots[slot];
    CallObject *c = NULL;
    PyObject *made = s->callback ? take_ctx(s, &c) : NULL;
    if (!made) {
        if (PyErr_Occurred()) log_python_error(ctx, "command dispatch");
        RM_ReplyWithError(ctx, "ERR ferrite bridge: this command is not loaded");
        python_leave(&gil);
        return RM_OK;
    }
    c->in_use = 1;
    call_reset(c, ctx);
    c->rargv = argv;
    c->rargc = argc;
    PyObject *failure = NULL;
    if (!arity_ok(s, argc)) {
        if (send_wrong_arity(c) < 0) log_python_error(ctx, "replying");
    } else {
        PyObject *args = s->pythonic ? pythonic_args(c) : module_args(argv, argc);
        PyObject *result = NULL;
        if (args) {
            PyObject *stack[2] = {made, args};
            result = PyObject_Vectorcall(s->callback, stack, 2, NULL);
            Py_DECREF(args);
        }
        if (result && PyCoro_CheckExact(result)) {
            int moved = start_async(s, made, c, ctx, result);
            Py_DECREF(result);
            if (moved) {
                if (made == s->cached) Py_CLEAR(s->cached); /* the async run has it now */
                Py_DECREF(made);
                python_leave(&gil);
                return RM_OK;
            }
            goto finish; /* refused (MULTI, a script: Redis answered), or failed (answered) */
        }
        PyObject *error = NULL;
        if (!result) {
            failure = failure_of(s, s->pythonic != NULL, &error);
        } else if (s->pythonic && !took_reply(c) && send_pythonic(c, result) < 0) {
            failure = failure_of(s, 0, &error);
        }
        Py_XDECREF(result);
        if (error) {
            if (!took_reply(c) && send_error_text(c, error) < 0) log_python_error(ctx, "replying");
            Py_DECREF(error);
        }
    }
finish:
    call_finish(c, failure);
    Py_XDECREF(failure);
    give_back_ctx(s, made, c);
    python_leave(&gil);
    return RM_OK;
}

/* One C entry point per slot (Redis 7.0 gives a command callback nothing to tell which
 * command it serves, so each command gets its own): slot = a*64 + b*8 + c. */
#define COMMAND_ENTRY(a, b, c)                                                               \
    static int command_slot_##a##b##c(RedisModuleCtx *ctx, RedisModuleString **argv,        \
                                      int argc) {                                            \
        return run_command(a * 64 + b * 8 + c, ctx, argv, argc);                             \
    }
#define EIGHT_ENTRIES(a, b)                                                                  \
    COMMAND_ENTRY(a, b, 0) COMMAND_ENTRY(a, b, 1) COMMAND_ENTRY(a, b, 2)                     \
    COMMAND_ENTRY(a, b, 3) COMMAND_ENTRY(a, b, 4) COMMAND_ENTRY(a, b, 5)                     \
    COMMAND_ENTRY(a, b, 6) COMMAND_ENTRY(a, b, 7)
#define SIXTY_FOUR_ENTRIES(a)                                                                \
    EIGHT_ENTRIES(a, 0) EIGHT_ENTRIES(a, 1) EIGHT_ENTRIES(a, 2) EIGHT_ENTRIES(a, 3)          \
    EIGHT_ENTRIES(a, 4) EIGHT_ENTRIES(a, 5) EIGHT_ENTRIES(a, 6) EIGHT_ENTRIES(a, 7)
SIXTY_FOUR_ENTRIES(0) SIXTY_FOUR_ENTRIES(1) SIXTY_FOUR_ENTRIES(2) SIXTY_FOUR_ENTRIES(3)
SIXTY_FOUR_ENTRIES(4) SIXTY_FOUR_ENTRIES(5) SIXTY_FOUR_ENTRIES(6) SIXTY_FOUR_ENTRIES(7)
#define ENTRY_NAMES_8(a, b)                                                                  \
    command_slot_##a##b##0, command_slot_##a##b##1, command_slot_##a##b##2,                  \
        command_slot_##a##b##3, command_slot_##a##b##4, command_slot_##a##b##5,              \
        command_slot_##a##b##6, command_slot_##a##b##7
#define ENTRY_NAMES_64(a)                                                                    \
    ENTRY_NAMES_8(a, 0), ENTRY_NAMES_8(a, 1), ENTRY_NAMES_8(a, 2), ENTRY_NAMES_8(a, 3),      \
        ENTRY_NAMES_8(a, 4), ENTRY_NAMES_8(a, 5), ENTRY_NAMES_8(a, 6), ENTRY_NAMES_8(a, 7)
static RMCommandFunc command_entries[MAX_COMMANDS] = {
    ENTRY_NAMES_64(0), ENTRY_NAMES_64(1), ENTRY_NAMES_64(2), ENTRY_NAMES_64(3),
    ENTRY_NAMES_64(4), ENTRY_NAMES_64(5), ENTRY_NAMES_64(6), ENTRY_NAMES_64(7)};

/* The Call and Context types in the native module. */
static int add_call_types(PyObject *module) {
    if (PyType_Ready(&CallType) < 0 || PyType_Ready(&ContextType) < 0) return -1;
    Py_INCREF(&CallType);
    if (PyModule_AddObject(module, "Call", (PyObject *)&CallType) < 0) {
        Py_DECREF(&CallType);
        return -1;
    }
    Py_INCREF(&ContextType);
    if (PyModule_AddObject(module, "Context", (PyObject *)&ContextType) < 0) {
        Py_DECREF(&ContextType);
        return -1;
    }
    return 0;
}
