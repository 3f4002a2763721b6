#include "kernel/fs/procfs/pseudo_filesystem.h"

#include "kernel/fs/procfs/procfs.h"

namespace kernel::fs::procfs {

namespace {

class PseudoInode final : public Inode {
 public:
  PseudoInode(PseudoFilesystem& fs, PseudoNode node) : Inode(fs), m_node(std::move(node)) {}

  Result<abi::Stat> stat() override { return tree().stat(m_node); }

  Result<std::shared_ptr<Inode>> lookup(const Caller& caller, const std::string& name) override {
    PseudoNode child = TRY(tree().lookup(m_node, name, caller));
    return std::shared_ptr<Inode>(std::make_shared<PseudoInode>(pseudo_fs(), std::move(child)));
  }

  Result<std::vector<DirEntry>> list(const Caller& caller) override {
    return tree().list(m_node, caller);
  }

  Result<LinkTarget> read_link(const Caller& caller) override {
    if (type() != abi::kS_IFLNK) return abi::Errno::kEINVAL;
    std::string text = TRY(tree().link_target(m_node, caller));
    return LinkTarget{std::move(text), tree().link_file(m_node)};
  }

  // proc_setattr / proc_sys_setattr: the contents are generated, so a truncation
  // (fopen(path, "w") opens with O_TRUNC) and new timestamps are accepted and change
  // nothing; ownership and mode stay as the kernel sets them.
  Result<void> set_attributes(const AttrChange& change) override {
    if (change.mode || change.uid || change.gid) return abi::Errno::kEPERM;
    return {};
  }

  Result<std::shared_ptr<File>> open(const Caller& caller, const std::string& path,
                                     u64 flags) override {
    if (flags & abi::kO_PATH)
      return std::shared_ptr<File>(std::make_shared<PathFile>(shared_from_this(), path));
    switch (type()) {
      case abi::kS_IFDIR:
        return std::shared_ptr<File>(
            std::make_shared<DirectoryFile>(shared_from_this(), path, caller));
      case abi::kS_IFLNK:
        return abi::Errno::kELOOP;
      default:
        return tree().open_file(m_node, flags, path, caller);
    }
  }

 private:
  PseudoFilesystem& pseudo_fs() { return static_cast<PseudoFilesystem&>(filesystem()); }
  PseudoFs& tree() { return pseudo_fs().tree(); }
  u32 type() { return tree().stat(m_node).st_mode & abi::kS_IFMT; }

  PseudoNode m_node;
};

}  // namespace

PseudoFilesystem::PseudoFilesystem(std::unique_ptr<PseudoFs> tree, const char* type_name, i64 magic)
    : m_tree(std::move(tree)), m_type_name(type_name), m_magic(magic) {}

std::shared_ptr<Inode> PseudoFilesystem::root() {
  return std::make_shared<PseudoInode>(*this, m_tree->root());
}

Result<Statfs> PseudoFilesystem::statfs() {
  // simple_statfs(): no blocks, no inode counts, just the type and the limits.
  Statfs out{};
  out.f_type = m_magic;
  out.f_bsize = static_cast<i64>(kPageSize);
  out.f_frsize = static_cast<i64>(kPageSize);
  out.f_namelen = 255;
  out.f_flags = kST_VALID | kST_NOSUID | kST_NODEV | kST_NOEXEC;
  return out;
}

std::shared_ptr<Filesystem> make_procfs(Kernel& kernel) {
  return std::make_shared<PseudoFilesystem>(std::make_unique<ProcFs>(kernel), "proc",
                                            kPROC_SUPER_MAGIC);
}

std::shared_ptr<Filesystem> make_sysfs(Kernel& kernel) {
  return std::make_shared<PseudoFilesystem>(std::make_unique<SysFs>(kernel), "sysfs", kSYSFS_MAGIC);
}

}  // namespace kernel::fs::procfs
