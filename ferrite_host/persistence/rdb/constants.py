"""Numbers of Redis's RDB format (the file and DUMP payloads), version 10 as Redis 7.0 writes it."""

from __future__ import annotations

#: The version Ferrite writes (Redis 7.0's) and the newest it reads (Redis 7.2's 11).
RDB_VERSION = 10
MAX_READ_VERSION = 11
MAGIC = b"REDIS"
HEADER_SIZE = 9  # "REDIS" + 4 version digits

# -- value types -----------------------------------------------------------------------------
TYPE_STRING = 0
TYPE_LIST = 1
TYPE_SET = 2
TYPE_ZSET = 3
TYPE_HASH = 4
TYPE_ZSET_2 = 5
TYPE_MODULE_PRE_GA = 6
TYPE_MODULE_2 = 7
TYPE_HASH_ZIPMAP = 9
TYPE_LIST_ZIPLIST = 10
TYPE_SET_INTSET = 11
TYPE_ZSET_ZIPLIST = 12
TYPE_HASH_ZIPLIST = 13
TYPE_LIST_QUICKLIST = 14
TYPE_STREAM_LISTPACKS = 15
TYPE_HASH_LISTPACK = 16
TYPE_ZSET_LISTPACK = 17
TYPE_LIST_QUICKLIST_2 = 18
TYPE_STREAM_LISTPACKS_2 = 19
TYPE_SET_LISTPACK = 20
TYPE_STREAM_LISTPACKS_3 = 21

STREAM_TYPES = frozenset((TYPE_STREAM_LISTPACKS, TYPE_STREAM_LISTPACKS_2, TYPE_STREAM_LISTPACKS_3))

# -- opcodes ---------------------------------------------------------------------------------
OP_FUNCTION2 = 245
OP_FUNCTION_PRE_GA = 246
OP_MODULE_AUX = 247
OP_IDLE = 248
OP_FREQ = 249
OP_AUX = 250
OP_RESIZEDB = 251
OP_EXPIRETIME_MS = 252
OP_EXPIRETIME = 253
OP_SELECTDB = 254
OP_EOF = 255

# -- lengths and string encodings ------------------------------------------------------------
LEN_6BIT = 0
LEN_14BIT = 1
LEN_32BIT = 0x80
LEN_64BIT = 0x81
LEN_ENCODED = 3
ENC_INT8 = 0
ENC_INT16 = 1
ENC_INT32 = 2
ENC_LZF = 3

# -- quicklist 2 node containers -------------------------------------------------------------
QUICKLIST_NODE_PLAIN = 1
QUICKLIST_NODE_PACKED = 2

# -- module values ---------------------------------------------------------------------------
MODULE_OPCODE_EOF = 0
MODULE_OPCODE_SINT = 1
MODULE_OPCODE_UINT = 2
MODULE_OPCODE_FLOAT = 3
MODULE_OPCODE_DOUBLE = 4
MODULE_OPCODE_STRING = 5

#: The 64 characters of a module type name, in the order their 6-bit codes number them.
MODULE_NAME_CHARSET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
MODULE_NAME_LENGTH = 9
#: What pads a type name shorter than 9 characters on the right (see module_id).
MODULE_NAME_PAD = "_"
