/*
** coord_guard.h — the leader's guard on its bookkeeping and the per-tab connection
** settings (coord_guard.c), for the leader's engine (coord_engine.c). Internal.
*/
#ifndef SQLW_COORD_GUARD_H
#define SQLW_COORD_GUARD_H

#include <stdint.h>
#include "sqlw.h"

/* SQLite's authorizer of the leader's connection (pCtx: its sqlw_db). */
int sqlwAuthorize(void *pCtx, int eAction, const char *z1, const char *z2,
                  const char *zDb, const char *zTrigger);
/* The user's SQL runs from now (bOn 1) or no longer (0): the guard applies while it does. */
void sqlwGuardUser(int bOn);

/* Gives the connection aClient's settings before one of its requests. */
void sqlwSettingsFor(sqlw_db *pDb, const unsigned char *aClient);
/* After aClient's request: when its SQL changed a setting, makes the new state aClient's
** (stored, so the next leader applies it too). */
void sqlwSettingsCapture(sqlw_db *pDb, const unsigned char *aClient);
/* Forgets the settings of aClient, which is gone. Returns SQLite's code. */
int sqlwSettingsForget(sqlw_db *pDb, const unsigned char *aClient);
/* Gives the connection its settings at open (for the engine's own writes). */
void sqlwSettingsDefault(sqlw_db *pDb);
/* Lets the engine's bookkeeping write while the connection is query_only (a client's
** setting): bOn 1 before the write, 0 after it. */
void sqlwBookkeeping(sqlw_db *pDb, int bOn);

#endif /* SQLW_COORD_GUARD_H */
