#include "kernel/abi/errno.h"

namespace kernel::abi {

const char* errno_name(int value) {
  switch (value) {
#define EMU_ERRNO_NAME(name, number, message) \
  case number:                                \
    return #name;
    EMU_ERRNO_LIST(EMU_ERRNO_NAME)
#undef EMU_ERRNO_NAME
  }
  return nullptr;
}

const char* errno_message(int value) {
  switch (value) {
#define EMU_ERRNO_MESSAGE(name, number, message) \
  case number:                                   \
    return message;
    EMU_ERRNO_LIST(EMU_ERRNO_MESSAGE)
#undef EMU_ERRNO_MESSAGE
  }
  return nullptr;
}

}  // namespace kernel::abi
