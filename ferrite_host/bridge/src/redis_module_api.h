/*
 * The part of the Redis Module API (version 1, as Redis 7.0 documents it) that the Ferrite
 * bridge uses, declared for this project: opaque handle types, the documented constants,
 * and one function-pointer typedef per API function. Each pointer is fetched at load time
 * through the `RedisModule_GetApi` entry Redis stores at the start of every context, which
 * is how the Module ABI hands functions to a module (nothing is linked against Redis).
 */
#ifndef FERRITE_REDIS_MODULE_API_H
#define FERRITE_REDIS_MODULE_API_H

#include <stddef.h>
#include <stdint.h>

/* Status codes and the API version a module declares. */
#define RM_OK 0
#define RM_ERR 1
#define RM_APIVER_1 1

/* Key open modes. */
#define RM_READ (1 << 0)
#define RM_WRITE (1 << 1)

/* RedisModule_KeyType answers. */
#define RM_KEYTYPE_EMPTY 0
#define RM_KEYTYPE_STRING 1
#define RM_KEYTYPE_MODULE 6

/* A reply length given later with ReplySet*Length. */
#define RM_POSTPONED_LEN -1

/* Call reply types. */
#define RM_REPLY_UNKNOWN -1
#define RM_REPLY_STRING 0
#define RM_REPLY_ERROR 1
#define RM_REPLY_INTEGER 2
#define RM_REPLY_ARRAY 3
#define RM_REPLY_NULL 4
#define RM_REPLY_MAP 5
#define RM_REPLY_SET 6
#define RM_REPLY_BOOL 7
#define RM_REPLY_DOUBLE 8
#define RM_REPLY_BIG_NUMBER 9
#define RM_REPLY_VERBATIM_STRING 10
#define RM_REPLY_ATTRIBUTE 11

/* RedisModule_GetContextFlags bit: the calling client speaks RESP3. */
#define RM_CTX_FLAGS_RESP3 (1 << 22)

/* RedisModule_HashSet / HashGet flags, and the value that deletes a field. */
#define RM_HASH_CFIELDS (1 << 2)
#define RM_HASH_EXISTS (1 << 3)
#define RM_HASH_DELETE ((RedisModuleString *)(long)1)

/* Module config flags (RedisModule_Register*Config). */
#define RM_CONFIG_IMMUTABLE (1 << 0)

/* A server event: its id and the version of its data structure. */
typedef struct {
    uint64_t id;
    uint64_t dataver;
} RMEvent;

/* Server event ids whose data the bridge reads, and the layouts of that data (version 1). */
#define RM_EVENT_FLUSHDB 2
#define RM_EVENT_CLIENT_CHANGE 4
#define RM_EVENT_CRON_LOOP 8
#define RM_EVENT_MODULE_CHANGE 9
#define RM_EVENT_SWAPDB 11
#define RM_EVENT_EVENTLOOP 15
#define RM_EVENT_CONFIG 16
/* The EventLoop event's subevents. */
#define RM_SUBEVENT_EVENTLOOP_BEFORE_SLEEP 0
#define RM_SUBEVENT_EVENTLOOP_AFTER_SLEEP 1

typedef struct {
    uint64_t version;
    int32_t sync;
    int32_t dbnum;
} RMFlushInfo;

typedef struct {
    uint64_t version;
    uint64_t flags;
    uint64_t id;
    char addr[46];
    uint16_t port;
    uint16_t db;
} RMClientInfo;

typedef struct {
    uint64_t version;
    int32_t hz;
} RMCronLoop;

typedef struct {
    uint64_t version;
    const char *module_name;
    int32_t module_version;
} RMModuleChange;

typedef struct {
    uint64_t version;
    int32_t dbnum_first;
    int32_t dbnum_second;
} RMSwapDbInfo;

typedef struct {
    uint64_t version;
    uint32_t num_changes;
    const char **config_names;
} RMConfigChange;

/* The RedisModuleTypeMethods layout version this bridge fills in (through `defrag`). */
#define RM_TYPE_METHOD_VERSION 3

typedef struct RedisModuleCtx RedisModuleCtx;
typedef struct RedisModuleKey RedisModuleKey;
typedef struct RedisModuleString RedisModuleString;
typedef struct RedisModuleCallReply RedisModuleCallReply;
typedef struct RedisModuleIO RedisModuleIO;
typedef struct RedisModuleType RedisModuleType;
typedef struct RedisModuleDigest RedisModuleDigest;
typedef struct RedisModuleDefragCtx RedisModuleDefragCtx;
typedef struct RedisModuleInfoCtx RedisModuleInfoCtx;
typedef uint64_t RMTimerID;

typedef int (*RMCommandFunc)(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);
typedef void (*RMTimerProc)(RedisModuleCtx *ctx, void *data);
typedef int (*RMNotificationFunc)(RedisModuleCtx *ctx, int type, const char *event,
                                  RedisModuleString *key);
typedef void (*RMEventCallback)(RedisModuleCtx *ctx, RMEvent eid, uint64_t subevent, void *data);
typedef void (*RMInfoFunc)(RedisModuleInfoCtx *ctx, int for_crash_report);
typedef long long (*RMConfigGetNumericFunc)(const char *name, void *privdata);
typedef int (*RMConfigSetNumericFunc)(const char *name, long long value, void *privdata,
                                      RedisModuleString **err);
typedef RedisModuleString *(*RMConfigGetStringFunc)(const char *name, void *privdata);
typedef int (*RMConfigSetStringFunc)(const char *name, RedisModuleString *value, void *privdata,
                                     RedisModuleString **err);
typedef int (*RMConfigGetBoolFunc)(const char *name, void *privdata);
typedef int (*RMConfigSetBoolFunc)(const char *name, int value, void *privdata,
                                   RedisModuleString **err);
typedef int (*RMConfigGetEnumFunc)(const char *name, void *privdata);
typedef int (*RMConfigSetEnumFunc)(const char *name, int value, void *privdata,
                                   RedisModuleString **err);
typedef int (*RMConfigApplyFunc)(RedisModuleCtx *ctx, void *privdata, RedisModuleString **err);

typedef void *(*RMTypeLoadFunc)(RedisModuleIO *rdb, int encver);
typedef void (*RMTypeSaveFunc)(RedisModuleIO *rdb, void *value);
typedef void (*RMTypeRewriteFunc)(RedisModuleIO *aof, RedisModuleString *key, void *value);
typedef size_t (*RMTypeMemUsageFunc)(const void *value);
typedef void (*RMTypeDigestFunc)(RedisModuleDigest *digest, void *value);
typedef void (*RMTypeFreeFunc)(void *value);
typedef int (*RMTypeAuxLoadFunc)(RedisModuleIO *rdb, int encver, int when);
typedef void (*RMTypeAuxSaveFunc)(RedisModuleIO *rdb, int when);
typedef size_t (*RMTypeFreeEffortFunc)(RedisModuleString *key, const void *value);
typedef void (*RMTypeUnlinkFunc)(RedisModuleString *key, const void *value);
typedef void *(*RMTypeCopyFunc)(RedisModuleString *fromkey, RedisModuleString *tokey,
                                const void *value);
typedef int (*RMTypeDefragFunc)(RedisModuleDefragCtx *ctx, RedisModuleString *key,
                                void **value);

/* The callbacks of a data type, in the documented field order of method version 3. */
typedef struct {
    uint64_t version;
    RMTypeLoadFunc rdb_load;
    RMTypeSaveFunc rdb_save;
    RMTypeRewriteFunc aof_rewrite;
    RMTypeMemUsageFunc mem_usage;
    RMTypeDigestFunc digest;
    RMTypeFreeFunc free;
    RMTypeAuxLoadFunc aux_load;
    RMTypeAuxSaveFunc aux_save;
    int aux_save_triggers;
    RMTypeFreeEffortFunc free_effort;
    RMTypeUnlinkFunc unlink;
    RMTypeCopyFunc copy;
    RMTypeDefragFunc defrag;
} RMTypeMethods;

/* X(return type, name, parameter list): every API function the bridge fetches. */
#define FERRITE_RM_FUNCTIONS(X)                                                              \
    X(void, SetModuleAttribs, (RedisModuleCtx *, const char *, int, int))                    \
    X(int, IsModuleNameBusy, (const char *))                                                 \
    X(int, CreateCommand,                                                                    \
      (RedisModuleCtx *, const char *, RMCommandFunc, const char *, int, int, int))          \
    X(RedisModuleType *, CreateDataType,                                                     \
      (RedisModuleCtx *, const char *, int, RMTypeMethods *))                                \
    X(void, Log, (RedisModuleCtx *, const char *, const char *, ...))                        \
    X(void, AutoMemory, (RedisModuleCtx *))                                                  \
    X(const char *, StringPtrLen, (const RedisModuleString *, size_t *))                     \
    X(RedisModuleString *, CreateString, (RedisModuleCtx *, const char *, size_t))           \
    X(void, FreeString, (RedisModuleCtx *, RedisModuleString *))                             \
    X(int, ReplyWithLongLong, (RedisModuleCtx *, long long))                                 \
    X(int, ReplyWithError, (RedisModuleCtx *, const char *))                                 \
    X(int, ReplyWithSimpleString, (RedisModuleCtx *, const char *))                          \
    X(int, ReplyWithArray, (RedisModuleCtx *, long))                                         \
    X(void, ReplySetArrayLength, (RedisModuleCtx *, long))                                   \
    X(int, ReplyWithMap, (RedisModuleCtx *, long))                                           \
    X(void, ReplySetMapLength, (RedisModuleCtx *, long))                                     \
    X(int, ReplyWithSet, (RedisModuleCtx *, long))                                           \
    X(void, ReplySetSetLength, (RedisModuleCtx *, long))                                     \
    X(int, ReplyWithStringBuffer, (RedisModuleCtx *, const char *, size_t))                  \
    X(int, ReplyWithNull, (RedisModuleCtx *))                                                \
    X(int, ReplyWithNullArray, (RedisModuleCtx *))                                           \
    X(int, ReplyWithEmptyArray, (RedisModuleCtx *))                                          \
    X(int, ReplyWithDouble, (RedisModuleCtx *, double))                                      \
    X(int, ReplyWithBool, (RedisModuleCtx *, int))                                           \
    X(int, ReplyWithBigNumber, (RedisModuleCtx *, const char *, size_t))                     \
    X(int, ReplyWithVerbatimString, (RedisModuleCtx *, const char *, size_t))                \
    X(void *, OpenKey, (RedisModuleCtx *, RedisModuleString *, int))                         \
    X(void, CloseKey, (RedisModuleKey *))                                                    \
    X(int, KeyType, (RedisModuleKey *))                                                      \
    X(size_t, ValueLength, (RedisModuleKey *))                                               \
    X(int, StringSet, (RedisModuleKey *, RedisModuleString *))                               \
    X(char *, StringDMA, (RedisModuleKey *, size_t *, int))                                  \
    X(int, StringTruncate, (RedisModuleKey *, size_t))                                       \
    X(int, DeleteKey, (RedisModuleKey *))                                                    \
    X(long long, GetExpire, (RedisModuleKey *))                                              \
    X(int, SetExpire, (RedisModuleKey *, long long))                                         \
    X(int, ModuleTypeSetValue, (RedisModuleKey *, RedisModuleType *, void *))                \
    X(RedisModuleType *, ModuleTypeGetType, (RedisModuleKey *))                              \
    X(void *, ModuleTypeGetValue, (RedisModuleKey *))                                        \
    X(RedisModuleCallReply *, Call, (RedisModuleCtx *, const char *, const char *, ...))     \
    X(int, CallReplyType, (RedisModuleCallReply *))                                          \
    X(size_t, CallReplyLength, (RedisModuleCallReply *))                                     \
    X(long long, CallReplyInteger, (RedisModuleCallReply *))                                 \
    X(const char *, CallReplyStringPtr, (RedisModuleCallReply *, size_t *))                  \
    X(RedisModuleCallReply *, CallReplyArrayElement, (RedisModuleCallReply *, size_t))       \
    X(void, FreeCallReply, (RedisModuleCallReply *))                                         \
    X(int, Replicate, (RedisModuleCtx *, const char *, const char *, ...))                   \
    X(int, ReplicateVerbatim, (RedisModuleCtx *))                                            \
    X(void, SaveStringBuffer, (RedisModuleIO *, const char *, size_t))                       \
    X(char *, LoadStringBuffer, (RedisModuleIO *, size_t *))                                 \
    X(void, EmitAOF, (RedisModuleIO *, const char *, const char *, ...))                     \
    X(void, DigestAddStringBuffer, (RedisModuleDigest *, const char *, size_t))              \
    X(void, DigestEndSequence, (RedisModuleDigest *))                                        \
    X(void, Free, (void *))                                                                  \
    X(int, GetSelectedDb, (RedisModuleCtx *))                                                \
    X(int, SelectDb, (RedisModuleCtx *, int))                                                \
    X(unsigned long long, GetClientId, (RedisModuleCtx *))                                   \
    X(int, GetContextFlags, (RedisModuleCtx *))                                              \
    X(void *, Alloc, (size_t))                                                               \
    X(void *, Calloc, (size_t, size_t))                                                      \
    X(void *, Realloc, (void *, size_t))                                                      \
    X(int, ListPush, (RedisModuleKey *, int, RedisModuleString *))                           \
    X(RedisModuleString *, ListPop, (RedisModuleKey *, int))                                 \
    X(RedisModuleString *, ListGet, (RedisModuleKey *, long))                                \
    X(int, ListSet, (RedisModuleKey *, long, RedisModuleString *))                           \
    X(int, ListInsert, (RedisModuleKey *, long, RedisModuleString *))                        \
    X(int, ListDelete, (RedisModuleKey *, long))                                             \
    X(int, HashSet, (RedisModuleKey *, int, ...))                                            \
    X(int, HashGet, (RedisModuleKey *, int, ...))                                            \
    X(int, ZsetAdd, (RedisModuleKey *, double, RedisModuleString *, int *))                  \
    X(int, ZsetIncrby, (RedisModuleKey *, double, RedisModuleString *, int *, double *))     \
    X(int, ZsetRem, (RedisModuleKey *, RedisModuleString *, int *))                          \
    X(int, ZsetScore, (RedisModuleKey *, RedisModuleString *, double *))                     \
    X(void, ZsetRangeStop, (RedisModuleKey *))                                               \
    X(int, ZsetFirstInScoreRange, (RedisModuleKey *, double, double, int, int))              \
    X(int, ZsetLastInScoreRange, (RedisModuleKey *, double, double, int, int))               \
    X(int, ZsetFirstInLexRange, (RedisModuleKey *, RedisModuleString *, RedisModuleString *)) \
    X(int, ZsetLastInLexRange, (RedisModuleKey *, RedisModuleString *, RedisModuleString *))  \
    X(RedisModuleString *, ZsetRangeCurrentElement, (RedisModuleKey *, double *))            \
    X(int, ZsetRangeNext, (RedisModuleKey *))                                                \
    X(int, ZsetRangePrev, (RedisModuleKey *))                                                \
    X(int, ZsetRangeEndReached, (RedisModuleKey *))                                          \
    X(RMTimerID, CreateTimer, (RedisModuleCtx *, long long, RMTimerProc, void *))            \
    X(int, StopTimer, (RedisModuleCtx *, RMTimerID, void **))                                \
    X(int, GetTimerInfo, (RedisModuleCtx *, RMTimerID, uint64_t *, void **))                 \
    X(int, SubscribeToKeyspaceEvents, (RedisModuleCtx *, int, RMNotificationFunc))           \
    X(int, NotifyKeyspaceEvent, (RedisModuleCtx *, int, const char *, RedisModuleString *))  \
    X(int, SubscribeToServerEvent, (RedisModuleCtx *, RMEvent, RMEventCallback))             \
    X(int, PublishMessage, (RedisModuleCtx *, RedisModuleString *, RedisModuleString *))     \
    X(int, RegisterInfoFunc, (RedisModuleCtx *, RMInfoFunc))                                 \
    X(int, InfoAddSection, (RedisModuleInfoCtx *, const char *))                             \
    X(int, InfoAddFieldCString, (RedisModuleInfoCtx *, const char *, const char *))          \
    X(int, InfoAddFieldLongLong, (RedisModuleInfoCtx *, const char *, long long))            \
    X(int, InfoAddFieldDouble, (RedisModuleInfoCtx *, const char *, double))                 \
    X(int, RegisterNumericConfig,                                                            \
      (RedisModuleCtx *, const char *, long long, unsigned int, long long, long long,        \
       RMConfigGetNumericFunc, RMConfigSetNumericFunc, RMConfigApplyFunc, void *))           \
    X(int, RegisterStringConfig,                                                             \
      (RedisModuleCtx *, const char *, const char *, unsigned int, RMConfigGetStringFunc,    \
       RMConfigSetStringFunc, RMConfigApplyFunc, void *))                                    \
    X(int, RegisterBoolConfig,                                                               \
      (RedisModuleCtx *, const char *, int, unsigned int, RMConfigGetBoolFunc,               \
       RMConfigSetBoolFunc, RMConfigApplyFunc, void *))                                      \
    X(int, RegisterEnumConfig,                                                               \
      (RedisModuleCtx *, const char *, int, unsigned int, const char **, const int *, int,   \
       RMConfigGetEnumFunc, RMConfigSetEnumFunc, RMConfigApplyFunc, void *))                 \
    X(int, LoadConfigs, (RedisModuleCtx *))                                                  \
    X(int, KeyExists, (RedisModuleCtx *, RedisModuleString *))                               \
    X(long long, Milliseconds, (void))                                                       \
    X(void, GetRandomBytes, (unsigned char *, size_t))                                       \
    X(float, GetUsedMemoryRatio, (void))                                                     \
    X(void, Yield, (RedisModuleCtx *, int, const char *))

/* ---- blocked clients, thread-safe contexts, key access statistics (bridge_blocking.c) --- */

/* RedisModule_GetContextFlags bits: inside a script, inside MULTI/EXEC. */
#define RM_CTX_FLAGS_LUA (1 << 0)
#define RM_CTX_FLAGS_MULTI (1 << 1)

typedef struct RedisModuleBlockedClient RedisModuleBlockedClient;
typedef int (*RMBlockedReplyFunc)(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);
typedef void (*RMBlockedFreeFunc)(RedisModuleCtx *ctx, void *privdata);
typedef void (*RMDisconnectFunc)(RedisModuleCtx *ctx, RedisModuleBlockedClient *bc);

/* X(return type, name, parameter list), as FERRITE_RM_FUNCTIONS. */
#define FERRITE_RM_BLOCKING_FUNCTIONS(X)                                                     \
    X(void, Log, (RedisModuleCtx *, const char *, const char *, ...))                        \
    X(void, AutoMemory, (RedisModuleCtx *))                                                  \
    X(const char *, StringPtrLen, (const RedisModuleString *, size_t *))                     \
    X(RedisModuleString *, CreateString, (RedisModuleCtx *, const char *, size_t))           \
    X(void, FreeString, (RedisModuleCtx *, RedisModuleString *))                             \
    X(int, GetContextFlags, (RedisModuleCtx *))                                              \
    X(RedisModuleBlockedClient *, BlockClient,                                               \
      (RedisModuleCtx *, RMBlockedReplyFunc, RMBlockedReplyFunc, RMBlockedFreeFunc,          \
       long long))                                                                           \
    X(RedisModuleBlockedClient *, BlockClientOnKeys,                                         \
      (RedisModuleCtx *, RMBlockedReplyFunc, RMBlockedReplyFunc, RMBlockedFreeFunc,          \
       long long, RedisModuleString **, int, void *))                                        \
    X(int, UnblockClient, (RedisModuleBlockedClient *, void *))                              \
    X(int, AbortBlock, (RedisModuleBlockedClient *))                                         \
    X(void, SignalKeyAsReady, (RedisModuleCtx *, RedisModuleString *))                       \
    X(RedisModuleString *, GetBlockedClientReadyKey, (RedisModuleCtx *))                     \
    X(void *, GetBlockedClientPrivateData, (RedisModuleCtx *))                               \
    X(RedisModuleBlockedClient *, GetBlockedClientHandle, (RedisModuleCtx *))                \
    X(int, IsBlockedReplyRequest, (RedisModuleCtx *))                                        \
    X(int, IsBlockedTimeoutRequest, (RedisModuleCtx *))                                      \
    X(void, SetDisconnectCallback, (RedisModuleBlockedClient *, RMDisconnectFunc))           \
    X(RedisModuleCtx *, GetThreadSafeContext, (RedisModuleBlockedClient *))                  \
    X(void, FreeThreadSafeContext, (RedisModuleCtx *))                                       \
    X(void, ThreadSafeContextLock, (RedisModuleCtx *))                                       \
    X(int, ThreadSafeContextTryLock, (RedisModuleCtx *))                                     \
    X(void, ThreadSafeContextUnlock, (RedisModuleCtx *))                                     \
    X(int, GetLRU, (RedisModuleKey *, long long *))                                          \
    X(int, SetLRU, (RedisModuleKey *, long long))                                            \
    X(int, GetLFU, (RedisModuleKey *, long long *))                                          \
    X(int, SetLFU, (RedisModuleKey *, long long))

/* The blocking half's entry points for ferrite_bridge.c: fetch its API functions (in
 * OnLoad), and put its native module in sys.modules (once Python runs). */
int ferrite_blocking_fetch_api(RedisModuleCtx *ctx);
int ferrite_blocking_install(void);

/* bridge_command_info.c: RM_GetCommand/RM_SetCommandInfo (fetched in OnLoad; RM_ERR when
 * the server lacks them), and the metadata of one command just created. */
int ferrite_command_info_fetch_api(RedisModuleCtx *ctx);
int ferrite_set_command_info(RedisModuleCtx *ctx, const char *entry_point, const char *name,
                             char *reason, size_t reason_size);

#endif
