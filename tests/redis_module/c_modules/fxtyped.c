/* The fx_typed fixture's data type as a C module for redis-server 7.0: the same type name,
 * encver, field order and aux data, so Ferrite's and Redis's RDB records can be compared.
 *
 * Written for these tests from the documented Module API signatures (no Redis header is
 * used): the API is fetched by name through the GetApi pointer Redis puts at the start of
 * the context, as every module does.
 *
 * FXT.SET key u s d f ld [item ...]   FXT.GET key   FXT.GLOBAL SET before after | GET
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Ctx Ctx;
typedef struct Str Str;
typedef struct Key Key;
typedef struct IO IO;
typedef struct Type Type;
typedef int (*CmdFunc)(Ctx *, Str **, int);

typedef struct {
    uint64_t version;
    void *(*rdb_load)(IO *, int);
    void (*rdb_save)(IO *, void *);
    void (*aof_rewrite)(IO *, Str *, void *);
    size_t (*mem_usage)(const void *);
    void (*digest)(void *, void *);
    void (*free)(void *);
    int (*aux_load)(IO *, int, int);
    void (*aux_save)(IO *, int);
    int aux_save_triggers;
} TypeMethods;

static int (*GetApi)(const char *, void *);
static void (*SetModuleAttribs)(Ctx *, const char *, int, int);
static int (*CreateCommand)(Ctx *, const char *, CmdFunc, const char *, int, int, int);
static Type *(*CreateDataType)(Ctx *, const char *, int, TypeMethods *);
static void *(*Alloc)(size_t);
static void (*Free)(void *);
static const char *(*StringPtrLen)(Str *, size_t *);
static Key *(*OpenKey)(Ctx *, Str *, int);
static void (*CloseKey)(Key *);
static int (*KeyType)(Key *);
static int (*ModuleTypeSetValue)(Key *, Type *, void *);
static void *(*ModuleTypeGetValue)(Key *);
static Type *(*ModuleTypeGetType)(Key *);
static int (*ReplyWithArray)(Ctx *, long);
static int (*ReplyWithStringBuffer)(Ctx *, const char *, size_t);
static int (*ReplyWithSimpleString)(Ctx *, const char *);
static int (*ReplyWithError)(Ctx *, const char *);
static int (*ReplyWithNull)(Ctx *);
static int (*ReplyWithLongLong)(Ctx *, long long);
static int (*WrongArity)(Ctx *);
static int (*ReplicateVerbatim)(Ctx *);
static void (*SaveUnsigned)(IO *, uint64_t);
static void (*SaveSigned)(IO *, int64_t);
static void (*SaveDouble)(IO *, double);
static void (*SaveFloat)(IO *, float);
static void (*SaveLongDouble)(IO *, long double);
static void (*SaveStringBuffer)(IO *, const char *, size_t);
static uint64_t (*LoadUnsigned)(IO *);
static int64_t (*LoadSigned)(IO *);
static double (*LoadDouble)(IO *);
static float (*LoadFloat)(IO *);
static long double (*LoadLongDouble)(IO *);
static char *(*LoadStringBuffer)(IO *, size_t *);

typedef struct {
    uint64_t u;
    int64_t s;
    double d;
    float f;
    long double ld;
    size_t count;
    char **items;
    size_t *lens;
} Record;

static Type *record_type;
static char *global_before;
static size_t global_before_len;
static int64_t global_after;

static Record *record_new(size_t count) {
    Record *rec = Alloc(sizeof(*rec));
    memset(rec, 0, sizeof(*rec));
    rec->count = count;
    rec->items = Alloc(sizeof(char *) * (count ? count : 1));
    rec->lens = Alloc(sizeof(size_t) * (count ? count : 1));
    return rec;
}

static void record_free(void *value) {
    Record *rec = value;
    for (size_t i = 0; i < rec->count; i++) Free(rec->items[i]);
    Free(rec->items);
    Free(rec->lens);
    Free(rec);
}

static char *copy(const char *data, size_t len) {
    char *out = Alloc(len + 1);
    memcpy(out, data, len);
    out[len] = '\0';
    return out;
}

static void record_save(IO *io, void *value) {
    Record *rec = value;
    SaveUnsigned(io, rec->u);
    SaveSigned(io, rec->s);
    SaveDouble(io, rec->d);
    SaveFloat(io, rec->f);
    SaveLongDouble(io, rec->ld);
    SaveUnsigned(io, rec->count);
    for (size_t i = 0; i < rec->count; i++) SaveStringBuffer(io, rec->items[i], rec->lens[i]);
}

static void *record_load(IO *io, int encver) {
    (void)encver;
    uint64_t u = LoadUnsigned(io);
    int64_t s = LoadSigned(io);
    double d = LoadDouble(io);
    float f = LoadFloat(io);
    long double ld = LoadLongDouble(io);
    Record *rec = record_new(LoadUnsigned(io));
    rec->u = u, rec->s = s, rec->d = d, rec->f = f, rec->ld = ld;
    for (size_t i = 0; i < rec->count; i++) {
        size_t len;
        char *loaded = LoadStringBuffer(io, &len);
        rec->items[i] = copy(loaded, len);
        rec->lens[i] = len;
        Free(loaded);
    }
    return rec;
}

static void aux_save(IO *io, int when) {
    if (when == 1) SaveStringBuffer(io, global_before ? global_before : "", global_before_len);
    else SaveSigned(io, global_after);
}

static int aux_load(IO *io, int encver, int when) {
    (void)encver;
    if (when == 1) {
        size_t len;
        char *loaded = LoadStringBuffer(io, &len);
        if (global_before) Free(global_before);
        global_before = copy(loaded, len);
        global_before_len = len;
        Free(loaded);
    } else {
        global_after = LoadSigned(io);
    }
    return 0;
}

static int cmd_set(Ctx *ctx, Str **argv, int argc) {
    if (argc < 7) return WrongArity(ctx);
    Record *rec = record_new((size_t)(argc - 7));
    rec->u = strtoull(StringPtrLen(argv[2], NULL), NULL, 10);
    rec->s = strtoll(StringPtrLen(argv[3], NULL), NULL, 10);
    rec->d = strtod(StringPtrLen(argv[4], NULL), NULL);
    rec->f = strtof(StringPtrLen(argv[5], NULL), NULL);
    rec->ld = strtold(StringPtrLen(argv[6], NULL), NULL);
    for (int i = 7; i < argc; i++) {
        size_t len;
        const char *data = StringPtrLen(argv[i], &len);
        rec->items[i - 7] = copy(data, len);
        rec->lens[i - 7] = len;
    }
    Key *key = OpenKey(ctx, argv[1], 3);
    ModuleTypeSetValue(key, record_type, rec);
    CloseKey(key);
    ReplicateVerbatim(ctx);
    return ReplyWithSimpleString(ctx, "OK");
}

static int reply_text(Ctx *ctx, const char *text) {
    return ReplyWithStringBuffer(ctx, text, strlen(text));
}

static int cmd_get(Ctx *ctx, Str **argv, int argc) {
    if (argc != 2) return WrongArity(ctx);
    Key *key = OpenKey(ctx, argv[1], 1);
    if (key == NULL || KeyType(key) == 0) return ReplyWithNull(ctx);
    if (ModuleTypeGetType(key) != record_type) return ReplyWithError(ctx, "WRONGTYPE");
    Record *rec = ModuleTypeGetValue(key);
    char buf[128];
    ReplyWithArray(ctx, (long)(5 + rec->count));
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)rec->u);
    reply_text(ctx, buf);
    snprintf(buf, sizeof(buf), "%lld", (long long)rec->s);
    reply_text(ctx, buf);
    snprintf(buf, sizeof(buf), "%.17g", rec->d);
    reply_text(ctx, buf);
    snprintf(buf, sizeof(buf), "%.17g", (double)rec->f);
    reply_text(ctx, buf);
    snprintf(buf, sizeof(buf), "%.17g", (double)rec->ld);
    reply_text(ctx, buf);
    for (size_t i = 0; i < rec->count; i++) ReplyWithStringBuffer(ctx, rec->items[i], rec->lens[i]);
    CloseKey(key);
    return 0;
}

static int cmd_global(Ctx *ctx, Str **argv, int argc) {
    if (argc == 4) {
        size_t len;
        const char *data = StringPtrLen(argv[2], &len);
        if (global_before) Free(global_before);
        global_before = copy(data, len);
        global_before_len = len;
        global_after = strtoll(StringPtrLen(argv[3], NULL), NULL, 10);
        return ReplyWithSimpleString(ctx, "OK");
    }
    ReplyWithArray(ctx, 2);
    ReplyWithStringBuffer(ctx, global_before ? global_before : "", global_before_len);
    return ReplyWithLongLong(ctx, global_after);
}

#define API(name) if (GetApi("RedisModule_" #name, (void *)&name)) return 1

int RedisModule_OnLoad(Ctx *ctx, Str **argv, int argc) {
    (void)argv, (void)argc;
    GetApi = (int (*)(const char *, void *))((void **)ctx)[0];
    API(SetModuleAttribs); API(CreateCommand); API(CreateDataType); API(Alloc); API(Free);
    API(StringPtrLen); API(OpenKey); API(CloseKey); API(KeyType); API(ModuleTypeSetValue);
    API(ModuleTypeGetValue); API(ModuleTypeGetType); API(ReplyWithArray);
    API(ReplyWithStringBuffer); API(ReplyWithSimpleString); API(ReplyWithError);
    API(ReplyWithNull); API(ReplyWithLongLong); API(WrongArity); API(ReplicateVerbatim);
    API(SaveUnsigned); API(SaveSigned); API(SaveDouble); API(SaveFloat); API(SaveLongDouble);
    API(SaveStringBuffer); API(LoadUnsigned); API(LoadSigned); API(LoadDouble); API(LoadFloat);
    API(LoadLongDouble); API(LoadStringBuffer);
    SetModuleAttribs(ctx, "fx_typed", 1, 1);
    TypeMethods methods = {2, record_load, record_save, NULL, NULL, NULL, record_free,
                           aux_load, aux_save, 1 | 2};
    record_type = CreateDataType(ctx, "fxtypedio", 2, &methods);
    if (record_type == NULL) return 1;
    if (CreateCommand(ctx, "fxt.set", cmd_set, "write deny-oom", 1, 1, 1)) return 1;
    if (CreateCommand(ctx, "fxt.get", cmd_get, "readonly", 1, 1, 1)) return 1;
    if (CreateCommand(ctx, "fxt.global", cmd_global, "write", 0, 0, 0)) return 1;
    return 0;
}
