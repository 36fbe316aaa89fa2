#include "store/sqlite/page_check.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

namespace undersigned::store {
namespace {

// Page types (the first byte of a B-tree page's header), from SQLite's file format.
constexpr unsigned char kInteriorIndex = 2;
constexpr unsigned char kInteriorTable = 5;
constexpr unsigned char kLeafIndex = 10;
constexpr unsigned char kLeafTable = 13;

std::uint32_t Be16(const std::string& d, std::size_t at) {
  return (static_cast<std::uint32_t>(static_cast<unsigned char>(d[at])) << 8) |
         static_cast<unsigned char>(d[at + 1]);
}
std::uint32_t Be32(const std::string& d, std::size_t at) {
  return (Be16(d, at) << 16) | Be16(d, at + 2);
}

// The database file, read page by page (pages are numbered from 1).
class PageFile {
 public:
  explicit PageFile(int fd) : fd_(fd) {}
  ~PageFile() { ::close(fd_); }
  PageFile(const PageFile&) = delete;
  PageFile& operator=(const PageFile&) = delete;

  std::uint32_t page_size = 0;
  std::uint32_t usable = 0;  // page size minus the reserved bytes at each page's end
  std::uint32_t count = 0;   // pages in the file

  bool Read(std::uint32_t n, std::string& out) const {
    out.resize(page_size);
    const off_t at = static_cast<off_t>(n - 1) * page_size;
    return ::pread(fd_, out.data(), page_size, at) == static_cast<ssize_t>(page_size);
  }

 private:
  int fd_;
};

// What the walk learned about a page.
struct Page {
  unsigned char type = 0;
  std::vector<std::uint32_t> children;  // interior pages: left children, then the right child
};

// Checks page n's B-tree header and cells as SQLite does when it loads one; "" if valid, else
// what is wrong.
std::string ParsePage(const PageFile& f, std::uint32_t n, const std::string& d, Page& page) {
  const std::size_t off = n == 1 ? 100 : 0;  // page 1 starts with the file header
  page.type = static_cast<unsigned char>(d[off]);
  const bool leaf = page.type == kLeafIndex || page.type == kLeafTable;
  if (!leaf && page.type != kInteriorIndex && page.type != kInteriorTable) {
    return "its type byte is " + std::to_string(page.type) + ", not a B-tree page's";
  }
  const std::size_t header = leaf ? 8 : 12;
  const std::uint32_t cells = Be16(d, off + 3);
  std::uint32_t content = Be16(d, off + 5);
  if (content == 0) content = 65536;
  const std::uint32_t freeblock = Be16(d, off + 1);
  const std::size_t array_end = off + header + 2 * static_cast<std::size_t>(cells);
  if (array_end > content || content > f.usable) {
    return "its cell count (" + std::to_string(cells) + ") and content area do not fit the page";
  }
  if (freeblock != 0 && (freeblock < array_end || freeblock + 4 > f.usable)) {
    return "its first free block is outside the page";
  }
  if (!leaf && cells == 0) return "an interior page without cells";
  page.children.clear();
  for (std::uint32_t i = 0; i < cells; ++i) {
    const std::uint32_t p = Be16(d, off + header + 2 * i);
    if (p < content || p + 4 > f.usable) return "cell " + std::to_string(i) + " is outside it";
    if (!leaf) page.children.push_back(Be32(d, p));
  }
  if (!leaf) page.children.push_back(Be32(d, off + 8));
  for (std::uint32_t c : page.children) {
    if (c < 2 || c > f.count) return "it points to page " + std::to_string(c) + ", not in the file";
  }
  return "";
}

bool IsTable(unsigned char type) { return type == kInteriorTable || type == kLeafTable; }

}  // namespace

Result<void> CheckDatabaseFile(const std::string& path,
                               const std::vector<std::pair<std::string, std::uint32_t>>& roots) {
  auto damaged = [&](const std::string& what) {
    return Fail(Code::kInternal,
                "the database file " + path + " is damaged: " + what +
                    ". undersigned will not start on it: restore the data directory from a "
                    "backup (undersigned backup makes one), or repair the file (sqlite3 .recover)");
  };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Fail(Code::kInternal, "cannot read " + path + ": " + std::strerror(errno));
  }
  PageFile f(fd);
  struct stat st {};
  std::string head(100, '\0');
  if (::fstat(fd, &st) != 0 || ::pread(fd, head.data(), head.size(), 0) != 100) {
    return damaged("its header cannot be read");
  }
  f.page_size = Be16(head, 16) == 1 ? 65536 : Be16(head, 16);
  if (f.page_size < 512 || (f.page_size & (f.page_size - 1)) != 0) {
    return damaged("its header gives no valid page size");
  }
  f.usable = f.page_size - static_cast<unsigned char>(head[20]);
  const auto pages_in_file = static_cast<std::uint64_t>(st.st_size) / f.page_size;
  // The header's page count is valid when its "version valid for" equals the change counter.
  const bool count_valid = Be32(head, 92) == Be32(head, 24) && Be32(head, 28) != 0;
  f.count = count_valid ? Be32(head, 28) : static_cast<std::uint32_t>(pages_in_file);
  if (pages_in_file < f.count) {
    return damaged("it has " + std::to_string(pages_in_file) + " pages where its header says " +
                   std::to_string(f.count) + " (it was cut short)");
  }
  // The most recently allocated pages: each leaf among them is checked after the walk.
  const std::uint32_t tail_from = f.count > kTailPages ? f.count - kTailPages + 1 : 2;
  std::unordered_set<std::uint32_t> seen;
  std::unordered_map<std::uint32_t, const std::string*> tail_leaves;  // -> its B-tree's name
  std::unordered_map<std::uint32_t, bool> leaf_is_table;
  std::string data;
  Page page;
  auto check = [&](std::uint32_t n, const std::string& tree, bool table, bool want_leaf,
                   Page& out) -> std::string {
    if (!f.Read(n, data)) return "page " + std::to_string(n) + " cannot be read";
    std::string what = ParsePage(f, n, data, out);
    if (what.empty() && IsTable(out.type) != table) what = "it belongs to another kind of B-tree";
    const bool leaf = out.type == kLeafIndex || out.type == kLeafTable;
    if (what.empty() && want_leaf && !leaf) what = "it is not a leaf like its siblings";
    if (what.empty()) return "";
    return "page " + std::to_string(n) + " of " + std::to_string(f.count) + " (in " + tree +
           ") is not a valid B-tree page: " + what;
  };
  for (const auto& [name, root] : roots) {
    if (root < 1 || root > f.count || !seen.insert(root).second) {
      return damaged(name + "'s root page " + std::to_string(root) + " is not its own");
    }
    // The root decides the tree's kind; then level by level down to the one above the leaves.
    if (!f.Read(root, data)) return damaged("page " + std::to_string(root) + " cannot be read");
    Page top;
    if (std::string what = ParsePage(f, root, data, top); !what.empty()) {
      return damaged("page " + std::to_string(root) + " of " + std::to_string(f.count) +
                     " (the root of " + name + ") is not a valid B-tree page: " + what);
    }
    const bool table = IsTable(top.type);
    std::vector<std::uint32_t> level{root};
    std::vector<Page> pages{top};
    while (pages.front().type == kInteriorIndex || pages.front().type == kInteriorTable) {
      std::vector<std::uint32_t> next;
      for (const Page& p : pages) next.insert(next.end(), p.children.begin(), p.children.end());
      for (std::uint32_t c : next) {
        if (!seen.insert(c).second) {
          return damaged("page " + std::to_string(c) + " is reached twice (in " + name + ")");
        }
      }
      // Are the children leaves? The first one says for all: a B-tree is balanced.
      Page first;
      if (std::string what = check(next.front(), name, table, false, first); !what.empty()) {
        return damaged(what);
      }
      if (first.type == kLeafIndex || first.type == kLeafTable) {
        for (std::uint32_t c : next) {
          if (c < tail_from) continue;
          tail_leaves[c] = &name;
          leaf_is_table[c] = table;
        }
        // The rightmost leaf: where the next row of an append-only table goes.
        if (std::string what = check(next.back(), name, table, true, page); !what.empty()) {
          return damaged(what);
        }
        break;
      }
      pages.assign(1, first);
      for (std::size_t i = 1; i < next.size(); ++i) {
        if (std::string what = check(next[i], name, table, false, page); !what.empty()) {
          return damaged(what);
        }
        if (page.type == kLeafIndex || page.type == kLeafTable) {
          return damaged("page " + std::to_string(next[i]) + " (in " + name +
                         ") is a leaf where its siblings are interior pages");
        }
        pages.push_back(page);
      }
    }
  }
  for (std::uint32_t n = tail_from; n <= f.count; ++n) {
    auto it = tail_leaves.find(n);
    if (it == tail_leaves.end()) continue;  // interior (checked), overflow or free
    if (std::string what = check(n, *it->second, leaf_is_table[n], true, page); !what.empty()) {
      return damaged(what);
    }
  }
  return {};
}

}  // namespace undersigned::store
