#include "kernel/fs/procfs/mounts.h"

#include "kernel/fs/procfs/seq.h"
#include "kernel/fs/vfs.h"
#include "kernel/kernel.h"

namespace kernel::fs::procfs {

namespace {

u64 dev_major(u64 dev) {
  return ((dev >> 8) & 0xfff) | ((dev >> 32) & ~u64{0xfff});
}
u64 dev_minor(u64 dev) {
  return (dev & 0xff) | ((dev >> 12) & ~u64{0xff});
}

// mangle(): seq_escape with " \t\n\\", as three-digit octal.
void escaped(SeqBuf& m, const std::string& s) {
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\\') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\%03o", static_cast<unsigned char>(c));
      m.puts(buf);
    } else {
      m.putc(c);
    }
  }
}

u64 dev_of(Kernel& kernel, const std::string& path) {
  const FsContext fs;
  const Caller caller{fs, 0, {}};
  auto st = kernel.vfs().stat(caller, nullptr, path, FollowSymlinks::Yes);
  return st.ok() ? st.value().st_dev : 0;
}

}  // namespace

std::vector<MountView> current_mounts(Kernel& kernel) {
  // The Vfs serves a read-only host tree at "/" and the kernel's own /proc, /sys and /dev
  // on top of it; when a mount table exists, this lists it instead.
  std::vector<MountView> out;
  MountView root;
  root.id = 1;
  root.parent = 1;
  root.dev = dev_of(kernel, "/");
  root.mount_point = "/";
  root.read_only = true;
  root.mount_flags = ",relatime";
  root.fstype = host::filesystem_type(kernel.vfs().host_root());
  root.source = kernel.vfs().host_root();
  root.sb_read_only = true;
  out.push_back(root);
  auto add = [&](int id, const char* point, const char* type, const char* source, const char* flags,
                 const char* options) {
    MountView m;
    m.id = id;
    m.parent = 1;
    m.dev = dev_of(kernel, point);
    m.mount_point = point;
    m.mount_flags = flags;
    m.fstype = type;
    m.source = source;
    m.fs_options = options;
    out.push_back(std::move(m));
  };
  add(2, "/proc", "proc", "proc", ",nosuid,nodev,noexec,relatime", "");
  add(3, "/sys", "sysfs", "sysfs", ",nosuid,nodev,noexec,relatime", "");
  add(4, "/dev", "devtmpfs", "udev", ",nosuid,relatime", ",mode=755");
  return out;
}

const MountView* mount_of(const std::vector<MountView>& mounts, const std::string& path) {
  const MountView* best = nullptr;
  for (const MountView& m : mounts) {
    const std::string& p = m.mount_point;
    const bool under =
        p == "/" || path == p ||
        (path.size() > p.size() && path.compare(0, p.size(), p) == 0 && path[p.size()] == '/');
    if (under && (!best || p.size() > best->mount_point.size())) best = &m;
  }
  return best;
}

std::string render_mounts(const std::vector<MountView>& mounts) {
  SeqBuf m;
  for (const MountView& mnt : mounts) {
    escaped(m, mnt.source.empty() ? "none" : mnt.source);
    m.putc(' ');
    escaped(m, mnt.mount_point);
    m.putc(' ');
    escaped(m, mnt.fstype);
    m.puts(mnt.read_only || mnt.sb_read_only ? " ro" : " rw");
    m.puts(mnt.mount_flags).puts(mnt.fs_options);
    m.puts(" 0 0\n");
  }
  return m.take();
}

std::string render_mountinfo(const std::vector<MountView>& mounts) {
  SeqBuf m;
  for (const MountView& mnt : mounts) {
    m.dec("", static_cast<u64>(mnt.id)).dec(" ", static_cast<u64>(mnt.parent));
    m.dec(" ", dev_major(mnt.dev)).dec(":", dev_minor(mnt.dev)).putc(' ');
    escaped(m, mnt.root);
    m.putc(' ');
    escaped(m, mnt.mount_point);
    m.puts(mnt.read_only ? " ro" : " rw").puts(mnt.mount_flags);
    m.puts(" - ");
    escaped(m, mnt.fstype);
    m.putc(' ');
    escaped(m, mnt.source.empty() ? "none" : mnt.source);
    m.puts(mnt.sb_read_only ? " ro" : " rw").puts(mnt.fs_options);
    m.putc('\n');
  }
  return m.take();
}

}  // namespace kernel::fs::procfs
