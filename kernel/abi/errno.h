// Guest errno values (Linux x86-64), with the names and messages strace prints.
#pragma once

namespace kernel::abi {

#define EMU_ERRNO_LIST(X)                                         \
  X(EPERM, 1, "Operation not permitted")                          \
  X(ENOENT, 2, "No such file or directory")                       \
  X(ESRCH, 3, "No such process")                                  \
  X(EINTR, 4, "Interrupted system call")                          \
  X(EIO, 5, "Input/output error")                                 \
  X(ENXIO, 6, "No such device or address")                        \
  X(E2BIG, 7, "Argument list too long")                           \
  X(ENOEXEC, 8, "Exec format error")                              \
  X(EBADF, 9, "Bad file descriptor")                              \
  X(ECHILD, 10, "No child processes")                             \
  X(EAGAIN, 11, "Resource temporarily unavailable")               \
  X(ENOMEM, 12, "Cannot allocate memory")                         \
  X(EACCES, 13, "Permission denied")                              \
  X(EFAULT, 14, "Bad address")                                    \
  X(EBUSY, 16, "Device or resource busy")                         \
  X(EEXIST, 17, "File exists")                                    \
  X(EXDEV, 18, "Invalid cross-device link")                       \
  X(ENODEV, 19, "No such device")                                 \
  X(ENOTDIR, 20, "Not a directory")                               \
  X(EISDIR, 21, "Is a directory")                                 \
  X(EINVAL, 22, "Invalid argument")                               \
  X(ENFILE, 23, "Too many open files in system")                  \
  X(EMFILE, 24, "Too many open files")                            \
  X(ENOTTY, 25, "Inappropriate ioctl for device")                 \
  X(EFBIG, 27, "File too large")                                  \
  X(ENOSPC, 28, "No space left on device")                        \
  X(ESPIPE, 29, "Illegal seek")                                   \
  X(EROFS, 30, "Read-only file system")                           \
  X(EMLINK, 31, "Too many links")                                 \
  X(EPIPE, 32, "Broken pipe")                                     \
  X(ERANGE, 34, "Numerical result out of range")                  \
  X(EDEADLK, 35, "Resource deadlock avoided")                     \
  X(ENAMETOOLONG, 36, "File name too long")                       \
  X(ENOSYS, 38, "Function not implemented")                       \
  X(ENOTEMPTY, 39, "Directory not empty")                         \
  X(ELOOP, 40, "Too many levels of symbolic links")               \
  X(ENODATA, 61, "No data available")                             \
  X(EOVERFLOW, 75, "Value too large for defined data type")       \
  X(ENOTSOCK, 88, "Socket operation on non-socket")               \
  X(EDESTADDRREQ, 89, "Destination address required")             \
  X(EMSGSIZE, 90, "Message too long")                             \
  X(EPROTOTYPE, 91, "Protocol wrong type for socket")             \
  X(ENOPROTOOPT, 92, "Protocol not available")                    \
  X(EPROTONOSUPPORT, 93, "Protocol not supported")                \
  X(ESOCKTNOSUPPORT, 94, "Socket type not supported")             \
  X(EOPNOTSUPP, 95, "Operation not supported")                    \
  X(EAFNOSUPPORT, 97, "Address family not supported by protocol") \
  X(EADDRINUSE, 98, "Address already in use")                     \
  X(ECONNRESET, 104, "Connection reset by peer")                  \
  X(ENOBUFS, 105, "No buffer space available")                    \
  X(EISCONN, 106, "Transport endpoint is already connected")      \
  X(ENOTCONN, 107, "Transport endpoint is not connected")         \
  X(ETIMEDOUT, 110, "Connection timed out")                       \
  X(ECONNREFUSED, 111, "Connection refused")                      \
  X(EHWPOISON, 133, "Memory page has hardware error")

// Enumerators carry a k prefix (Errno::kENOENT): the host's <errno.h> defines ENOENT and
// friends as macros, and any C++ header may pull it in, so bare names cannot be used.
enum class Errno : int {
  None = 0,
#define EMU_ERRNO_ENUM(name, value, message) k##name = value,
  EMU_ERRNO_LIST(EMU_ERRNO_ENUM)
#undef EMU_ERRNO_ENUM
};

// Internal, never seen by the guest: the call must wait. A file's read or write returns it
// when the caller should wait on the file's poll_queue() and try again; a syscall handler
// returns it (through SyscallContext::block) to make its thread wait.
inline constexpr Errno kEWAIT = static_cast<Errno>(530);

// "ENOENT", or nullptr for a value not in the list.
const char* errno_name(int value);
// "No such file or directory", or nullptr for a value not in the list.
const char* errno_message(int value);

}  // namespace kernel::abi
