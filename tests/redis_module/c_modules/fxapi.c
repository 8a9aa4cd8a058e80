/* Part of the fx_api fixture as a C module for redis-server 7.0 (same command names and
 * behaviour), for comparing getkeys-api, subcommands, ScanKey and command filters.
 * Written for these tests from the documented Module API signatures (no Redis header).
 *
 * FXA.MOVKEYS n key... extra...   getkeys-api: the n keys after n (the first one RO ACCESS)
 * FXA.CONT GET key | SET key v    a container with two subcommands (through RM_Call)
 * FXA.SCANKEY key                 [field, value-or-nil, ...] in scan order
 * FXA.ECHOARGS arg...             its arguments, seen through the filter below
 * FXA.SELFCALL cmd arg...         RM_Call(cmd, ...) (the filter is NOSELF)
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

typedef struct Ctx Ctx;
typedef struct Str Str;
typedef struct Key Key;
typedef struct Reply Reply;
typedef struct Cmd Cmd;
typedef struct Cursor Cursor;
typedef struct FilterCtx FilterCtx;
typedef struct Filter Filter;
typedef int (*CmdFunc)(Ctx *, Str **, int);
typedef void (*ScanKeyCB)(Key *, Str *, Str *, void *);

static int (*GetApi)(const char *, void *);
static void (*SetModuleAttribs)(Ctx *, const char *, int, int);
static int (*CreateCommand)(Ctx *, const char *, CmdFunc, const char *, int, int, int);
static Cmd *(*GetCommand)(Ctx *, const char *);
static int (*CreateSubcommand)(Cmd *, const char *, CmdFunc, const char *, int, int, int);
static const char *(*StringPtrLen)(Str *, size_t *);
static Str *(*CreateString)(Ctx *, const char *, size_t);
static long long dummy;
static int (*StringToLongLong)(Str *, long long *);
static Reply *(*Call)(Ctx *, const char *, const char *, ...);
static int (*ReplyWithCallReply)(Ctx *, Reply *);
static void (*FreeCallReply)(Reply *);
static int (*ReplyWithArray)(Ctx *, long);
static void (*ReplySetArrayLength)(Ctx *, long);
static int (*ReplyWithString)(Ctx *, Str *);
static int (*ReplyWithNull)(Ctx *);
static int (*ReplyWithLongLong)(Ctx *, long long);
static int (*ReplyWithError)(Ctx *, const char *);
static int (*WrongArity)(Ctx *);
static int (*IsKeysPositionRequest)(Ctx *);
static void (*KeyAtPos)(Ctx *, int);
static void (*KeyAtPosWithFlags)(Ctx *, int, int);
static int (*KeyExists)(Ctx *, Str *);
static Key *(*OpenKey)(Ctx *, Str *, int);
static void (*CloseKey)(Key *);
static Cursor *(*ScanCursorCreate)(void);
static void (*ScanCursorDestroy)(Cursor *);
static int (*ScanKey)(Key *, Cursor *, ScanKeyCB, void *);
static Filter *(*RegisterCommandFilter)(Ctx *, void (*)(FilterCtx *), int);
static int (*CommandFilterArgsCount)(FilterCtx *);
static Str *(*CommandFilterArgGet)(FilterCtx *, int);
static int (*CommandFilterArgInsert)(FilterCtx *, int, Str *);
static int (*CommandFilterArgReplace)(FilterCtx *, int, Str *);
static int (*CommandFilterArgDelete)(FilterCtx *, int);

static int is(Str *s, const char *text) {
    size_t len;
    const char *data = StringPtrLen(s, &len);
    return len == strlen(text) && strncasecmp(data, text, len) == 0;
}

static int cmd_movkeys(Ctx *ctx, Str **argv, int argc) {
    if (argc < 2) return WrongArity(ctx);
    long long count = 0;
    StringToLongLong(argv[1], &count);
    if (IsKeysPositionRequest(ctx)) {
        for (int pos = 2; pos < 2 + count && pos < argc; pos++) {
            if (pos == 2) KeyAtPosWithFlags(ctx, pos, (1 << 0) | (1 << 4));
            else KeyAtPos(ctx, pos);
        }
        return 0;
    }
    long long found = 0;
    for (int pos = 2; pos < 2 + count && pos < argc; pos++) found += KeyExists(ctx, argv[pos]);
    return ReplyWithLongLong(ctx, found);
}

static int cmd_cont_get(Ctx *ctx, Str **argv, int argc) {
    if (argc != 3) return WrongArity(ctx);
    Reply *reply = Call(ctx, "GET", "s", argv[2]);
    ReplyWithCallReply(ctx, reply);
    FreeCallReply(reply);
    return 0;
}

static int cmd_cont_set(Ctx *ctx, Str **argv, int argc) {
    if (argc != 4) return WrongArity(ctx);
    Reply *reply = Call(ctx, "SET", "ss", argv[2], argv[3]);
    ReplyWithCallReply(ctx, reply);
    FreeCallReply(reply);
    return 0;
}

static long scanned;

static void scan_one(Key *key, Str *field, Str *value, void *privdata) {
    (void)key;
    Ctx *ctx = privdata;
    ReplyWithString(ctx, field);
    if (value) ReplyWithString(ctx, value);
    else ReplyWithNull(ctx);
    scanned += 2;
}

static int cmd_scankey(Ctx *ctx, Str **argv, int argc) {
    if (argc != 2) return WrongArity(ctx);
    Key *key = OpenKey(ctx, argv[1], 1);
    if (key == NULL) return ReplyWithNull(ctx);
    Cursor *cursor = ScanCursorCreate();
    scanned = 0;
    ReplyWithArray(ctx, -1);
    while (ScanKey(key, cursor, scan_one, ctx)) {
    }
    ReplySetArrayLength(ctx, scanned);
    ScanCursorDestroy(cursor);
    CloseKey(key);
    return 0;
}

static int cmd_echoargs(Ctx *ctx, Str **argv, int argc) {
    ReplyWithArray(ctx, argc - 1);
    for (int i = 1; i < argc; i++) ReplyWithString(ctx, argv[i]);
    return 0;
}

static int cmd_selfcall(Ctx *ctx, Str **argv, int argc) {
    if (argc < 2) return WrongArity(ctx);
    Reply *reply = Call(ctx, StringPtrLen(argv[1], NULL), "v", argv + 2, (size_t)(argc - 2));
    if (reply == NULL) return ReplyWithError(ctx, "ERR call failed");
    ReplyWithCallReply(ctx, reply);
    FreeCallReply(reply);
    return 0;
}

static void the_filter(FilterCtx *fctx) {
    Str *first = CommandFilterArgGet(fctx, 0);
    if (first == NULL || !is(first, "fxa.echoargs")) return;
    int pos = 1;
    while (pos < CommandFilterArgsCount(fctx)) {
        Str *arg = CommandFilterArgGet(fctx, pos);
        if (is(arg, "@drop")) {
            CommandFilterArgDelete(fctx, pos);
            continue;
        }
        if (is(arg, "@swap")) CommandFilterArgReplace(fctx, pos, CreateString(NULL, "swapped", 7));
        pos++;
    }
    CommandFilterArgInsert(fctx, 1, CreateString(NULL, "@inserted", 9));
}

#define API(name) if (GetApi("RedisModule_" #name, (void *)&name)) return 1

int RedisModule_OnLoad(Ctx *ctx, Str **argv, int argc) {
    (void)argv, (void)argc, (void)dummy;
    GetApi = (int (*)(const char *, void *))((void **)ctx)[0];
    API(SetModuleAttribs); API(CreateCommand); API(GetCommand); API(CreateSubcommand);
    API(StringPtrLen); API(CreateString); API(StringToLongLong); API(Call);
    API(ReplyWithCallReply); API(FreeCallReply); API(ReplyWithArray); API(ReplySetArrayLength);
    API(ReplyWithString); API(ReplyWithNull); API(ReplyWithLongLong); API(ReplyWithError);
    API(WrongArity); API(IsKeysPositionRequest); API(KeyAtPos); API(KeyAtPosWithFlags);
    API(KeyExists); API(OpenKey); API(CloseKey); API(ScanCursorCreate); API(ScanCursorDestroy);
    API(ScanKey); API(RegisterCommandFilter); API(CommandFilterArgsCount);
    API(CommandFilterArgGet); API(CommandFilterArgInsert); API(CommandFilterArgReplace);
    API(CommandFilterArgDelete);
    SetModuleAttribs(ctx, "fx_api", 1, 1);
    if (CreateCommand(ctx, "fxa.movkeys", cmd_movkeys, "readonly getkeys-api", 0, 0, 0)) return 1;
    if (CreateCommand(ctx, "fxa.cont", NULL, "", 0, 0, 0)) return 1;
    Cmd *parent = GetCommand(ctx, "fxa.cont");
    if (CreateSubcommand(parent, "get", cmd_cont_get, "readonly", 2, 2, 1)) return 1;
    if (CreateSubcommand(parent, "set", cmd_cont_set, "write deny-oom", 2, 2, 1)) return 1;
    if (CreateCommand(ctx, "fxa.scankey", cmd_scankey, "readonly", 1, 1, 1)) return 1;
    if (CreateCommand(ctx, "fxa.echoargs", cmd_echoargs, "readonly", 0, 0, 0)) return 1;
    if (CreateCommand(ctx, "fxa.selfcall", cmd_selfcall, "write", 0, 0, 0)) return 1;
    if (RegisterCommandFilter(ctx, the_filter, 1) == NULL) return 1;
    return 0;
}
