/*
** faulthost.h — a test-only shim in front of the native host, for fault injection.
**
** The native test binary links the POSIX host (src/host/posix/host_posix.c) compiled a
** second time with its file functions renamed posix_host_open, posix_host_read, ...
** (see the build rule at the top of faulthost.c). faulthost.c defines the real names,
** host_open, host_read, ..., so every host call of the core — and of the tests — passes
** through the shim, which forwards it unchanged unless a test asked for one of:
**
** - Faults. The Nth call of one kind (read, write, truncate, sync, or all four counted
**   together) fails with the code a real host would give (host.h): -SQLITE_IOERR_READ,
**   -SQLITE_IOERR_WRITE, -SQLITE_IOERR_TRUNCATE, -SQLITE_IOERR_FSYNC (a failed call
**   changes nothing). FAULT_FULL is a storage that runs out of space: it counts the
**   writes and truncates that grow their file, and the Nth of them returns -SQLITE_FULL
**   after a short write (host.h allows one, and Firefox gives one): the bytes inside
**   the file's current size and half of those beyond it are stored. Writes that do not
**   grow a file never see FULL, as on a real disk or quota. A transient fault fails
**   that one call; a persistent one fails it and every later call of the kind.
**
** - Power loss. With the overlay on, writes and truncates do not reach a file until its
**   handle is synced: they wait in a per-handle overlay that reads, sizes and later
**   writes through the shim see, as the operating system's page cache would. A crash
**   point (the Nth call of a kind, or now) stops the machine: that call and every later
**   read, write, truncate, sync and size fail, and nothing more reaches any file. The
**   test then closes what it holds and declares the power loss, choosing what happens
**   to the writes still waiting: all lost (FAULT_LOSS_DROP), all kept (FAULT_LOSS_KEEP:
**   the process died, the machine did not), each one kept or lost at random
**   (FAULT_LOSS_RANDOM, seeded: the disk reordered them), or the data kept and the size
**   changes lost, or the reverse (FAULT_LOSS_DATA, FAULT_LOSS_SIZE). Only then are the
**   files what a restart would find.
**
** Counters count every call of a kind since faultReset(), whether it failed or not.
**
** Not modelled: torn writes inside one host_write call (each call is atomic, as a sector
** write is), the creation and deletion of files (immediate and durable), and two handles
** on one file while the overlay is on (the second would not see the first's overlay; the
** pool opens each slot file once). The overlay holds whole files in memory: it is meant
** for the small databases of the sweeps (up to 64 MiB per file).
*/
#ifndef SQLW_TEST_FAULTHOST_H
#define SQLW_TEST_FAULTHOST_H

/* Kinds of host call, for counting and for faults. */
#define FAULT_READ      0   /* host_read      → -SQLITE_IOERR_READ */
#define FAULT_WRITE     1   /* host_write     → -SQLITE_IOERR_WRITE */
#define FAULT_TRUNCATE  2   /* host_truncate  → -SQLITE_IOERR_TRUNCATE */
#define FAULT_SYNC      3   /* host_sync      → -SQLITE_IOERR_FSYNC */
#define FAULT_FULL      4   /* a write or truncate that grows its file → -SQLITE_FULL
                            ** (a write stores a part first: see above) */
#define FAULT_ANY       5   /* reads, writes, truncates and syncs counted together; the
                            ** failing call gets its own kind's code */
#define FAULT_NKIND     6

/* What a power loss does to the writes and truncates not yet synced. */
#define FAULT_LOSS_DROP    0   /* all lost: files hold what was synced */
#define FAULT_LOSS_KEEP    1   /* all kept: the process died, the machine did not */
#define FAULT_LOSS_RANDOM  2   /* each kept or lost, independently, from a seed */
#define FAULT_LOSS_DATA    3   /* writes kept, truncates lost (sizes are metadata,
                               ** flushed apart from data on many file systems) */
#define FAULT_LOSS_SIZE    4   /* truncates kept, writes lost */

/*
** Returns the shim to pass-through: disarms faults and the crash point, zeroes the
** counters, and ends overlay mode as FAULT_LOSS_KEEP would (nothing is lost). Real
** syncs are turned back on.
*/
void faultReset(void);

/* Calls of kind eKind since the last faultReset() (FAULT_FULL: writes and truncates
** that grew their file; FAULT_ANY: reads, writes, truncates and syncs). */
int faultCount(int eKind);

/*
** Fails the iNth call of kind eKind from now (1 for the very next one). With bPersist,
** that call and every later one of the kind fail. Replaces any fault armed before.
*/
void faultArm(int eKind, int iNth, int bPersist);

/* Disarms the fault armed by faultArm(); the counters go on. */
void faultDisarm(void);

/* Calls that failed because of faultArm() since the last faultReset(). */
int faultHits(void);

/*
** Turns real syncs (fdatasync) off or on. Off, host_sync still counts, can fail, and
** ends a handle's overlay, but does not wait for the disk: the sweeps model durability
** with the overlay, and thousands of runs need not wear the test machine's disk.
*/
void faultRealSync(int bOn);

/* Turns overlay mode on: from now, writes and truncates wait for their handle's sync. */
void faultOverlayBegin(void);

/*
** Sets the crash point: the iNth call of kind eKind from now (any kind, counted as
** faultCount() counts) fails, and so does every later read, write, truncate, sync and size call.
** Meant for overlay mode, but usable without it (then every write before the crash has
** reached its file: a process killed at that point).
*/
void faultCrashAt(int eKind, int iNth);

/* Crashes now: every later read, write, truncate, sync and size call fails. */
void faultCrashNow(void);

/* 1 once the crash point was reached. */
int faultCrashed(void);

/*
** Declares the power loss: the writes and truncates still waiting in overlays are applied
** to the files (in their order) or dropped as eLoss says (FAULT_LOSS_RANDOM draws from
** iSeed), handles
** closed while their writes waited are closed for real, and the shim returns to
** pass-through as after faultReset() (counters excepted). Handles still open stay open
** and usable; the caller normally closes and reopens them, as a restart would.
** Returns 0, or -1 when applying a kept write to a file failed.
*/
int faultPowerLoss(int eLoss, unsigned int iSeed);

/* The number of writes and truncates waiting in overlays now (for the tests' reports). */
int faultPending(void);

#endif /* SQLW_TEST_FAULTHOST_H */
