#ifndef TREATMENT_LEDGER_LMDB_SHIM_H
#define TREATMENT_LEDGER_LMDB_SHIM_H
#include <lmdb.h>
#endif
