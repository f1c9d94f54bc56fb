/*
** coord_txn.h — a tab's SQL transaction on the leader's connection (coord_txn.c).
*/
#ifndef SQLW_COORD_TXN_H
#define SQLW_COORD_TXN_H

#include "sqlw.h"
#include "engine_int.h"

/* Makes pDb's exec loop hand its transaction statements to this module. */
void sqlwTxnAttach(sqlw_db *pDb);
/* True while a tab's transaction is open on pDb (a SQL BEGIN or SAVEPOINT, or
** db.transaction()'s BEGIN, not yet committed or rolled back). */
int sqlwTxnOpen(sqlw_db *pDb);
/* A request starts: pSp is its savepoint, which the first transaction statement in it
** releases into the transaction below. NULL: the request is over. */
void sqlwTxnRequest(sqlw_db *pDb, SqlwSavepoint *pSp);
/* True while the running request's savepoint is still open (no transaction statement
** released it). */
int sqlwTxnRequestSavepoint(sqlw_db *pDb);
/* True if the running request began the tab's transaction over writes it had made
** outside one (see coord_txn.c: that request is refused whole). */
int sqlwTxnRequestDirty(sqlw_db *pDb);
/* Opens the tab's transaction over the connection's transaction (db.transaction()'s
** BEGIN). Returns SQLite's code. */
int sqlwTxnBegin(sqlw_db *pDb);
/* Ends the tab's transaction, keeping its work in the connection's transaction, which
** the caller commits. Returns SQLite's code. */
int sqlwTxnRelease(sqlw_db *pDb);
/* Forgets the tab's transaction: the connection's transaction was rolled back. */
void sqlwTxnReset(sqlw_db *pDb);
/* The authorizer saw eAction (SQLITE_TRANSACTION or SQLITE_SAVEPOINT) with z1, z2. */
void sqlwTxnSaw(int eAction, const char *z1, const char *z2);

#endif /* SQLW_COORD_TXN_H */
