#ifndef LEDGER_BENCH_SQLITE_SHIM_H
#define LEDGER_BENCH_SQLITE_SHIM_H
// SQLite from Debian's libsqlite3-dev, for the SQLite baseline of Tools/ledger-bench only.
#include <sqlite3.h>
#endif
