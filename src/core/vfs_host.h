/* vfs_host.h — the "host" VFS: SQLite files as host files (see vfs_host.c). */
#ifndef SQLW_VFS_HOST_H
#define SQLW_VFS_HOST_H
int sqlwHostVfsRegister(int bDefault);
#endif
