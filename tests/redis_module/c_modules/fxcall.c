/* FXC.CALL flags cmd [arg ...]: RedisModule_Call(ctx, cmd, "v" flags, args) in redis-server
 * 7.0, its reply forwarded; a NULL reply answers "-NULLREPLY errno <n>". The C counterpart
 * of the fx_calls fixture's FXC.CALL, for comparing ctx.call's refusals with RM_Call's.
 * Written for these tests from the documented Module API signatures (no Redis header). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

typedef struct Ctx Ctx;
typedef struct Str Str;
typedef struct Reply Reply;
typedef int (*CmdFunc)(Ctx *, Str **, int);

static int (*GetApi)(const char *, void *);
static void (*SetModuleAttribs)(Ctx *, const char *, int, int);
static int (*CreateCommand)(Ctx *, const char *, CmdFunc, const char *, int, int, int);
static const char *(*StringPtrLen)(Str *, size_t *);
static Reply *(*Call)(Ctx *, const char *, const char *, ...);
static int (*ReplyWithCallReply)(Ctx *, Reply *);
static void (*FreeCallReply)(Reply *);
static int (*ReplyWithError)(Ctx *, const char *);
static int (*WrongArity)(Ctx *);

static int cmd_call(Ctx *ctx, Str **argv, int argc) {
    if (argc < 3) return WrongArity(ctx);
    char fmt[64] = "v";
    strncat(fmt, StringPtrLen(argv[1], NULL), sizeof(fmt) - 2);
    errno = 0;
    Reply *reply = Call(ctx, StringPtrLen(argv[2], NULL), fmt, argv + 3, (size_t)(argc - 3));
    if (reply == NULL) {
        char buf[64];
        snprintf(buf, sizeof(buf), "NULLREPLY errno %d", errno);
        return ReplyWithError(ctx, buf);
    }
    ReplyWithCallReply(ctx, reply);
    FreeCallReply(reply);
    return 0;
}

#define API(name) if (GetApi("RedisModule_" #name, (void *)&name)) return 1

int RedisModule_OnLoad(Ctx *ctx, Str **argv, int argc) {
    (void)argv, (void)argc;
    GetApi = (int (*)(const char *, void *))((void **)ctx)[0];
    API(SetModuleAttribs); API(CreateCommand); API(StringPtrLen); API(Call);
    API(ReplyWithCallReply); API(FreeCallReply); API(ReplyWithError); API(WrongArity);
    SetModuleAttribs(ctx, "fx_calls", 1, 1);
    return CreateCommand(ctx, "fxc.call", cmd_call, "write", 0, 0, 0) ? 1 : 0;
}
