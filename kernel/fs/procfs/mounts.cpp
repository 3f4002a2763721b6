#include "kernel/fs/procfs/mounts.h"

#include "kernel/fs/mount.h"
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

}  // namespace

std::vector<MountView> current_mounts(Kernel& kernel) {
  const auto& table = kernel.vfs().mounts().mounts();
  std::vector<MountView> out;
  for (size_t i = 0; i < table.size(); ++i) {
    const Mount& mount = *table[i];
    // The Vfs mounts stand-ins at /proc and /sys that the kernel's procfs and sysfs replace
    // at boot: a mount covered at the very same point is not part of the namespace.
    bool covered = false;
    for (size_t j = i + 1; j < table.size(); ++j) covered |= table[j]->path == mount.path;
    if (covered) continue;
    MountView m;
    m.id = static_cast<int>(i) + 1;
    m.mount_point = mount.path;
    // The parent is the latest earlier mount whose path holds this one.
    m.parent = m.id;
    for (size_t j = 0; j < i; ++j) {
      const std::string& p = table[j]->path;
      const bool holds =
          p == "/" || (mount.path.size() > p.size() && mount.path.compare(0, p.size(), p) == 0 &&
                       mount.path[p.size()] == '/');
      if (holds && mount.path != p) m.parent = static_cast<int>(j) + 1;
    }
    if (auto st = mount.root->stat(); st.ok()) m.dev = st.value().st_dev;
    m.fstype = mount.fs->type_name();
    m.source = mount.path == "/" ? kernel.vfs().host_root() : m.fstype;
    m.read_only = m.sb_read_only = mount.fs->read_only();
    // The per-mount flags, as the filesystem's statfs reports them.
    if (auto sf = mount.fs->statfs(); sf.ok()) {
      const i64 flags = sf.value().f_flags;
      if (flags & kST_NOSUID) m.mount_flags += ",nosuid";
      if (flags & kST_NODEV) m.mount_flags += ",nodev";
      if (flags & kST_NOEXEC) m.mount_flags += ",noexec";
    }
    m.mount_flags += ",relatime";
    out.push_back(std::move(m));
  }
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
