#include "hdf5_prescan.h"

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "brainalign/base/error.h"
#include "file_spans.h"

// Layouts follow the HDF5 file format specification (version 3.0): superblock versions 0-3,
// version 1 B-trees of group nodes, symbol table nodes, local heaps, and object headers of
// versions 1 and 2. Field sizes "O" (addresses) and "L" (lengths) come from the superblock.
namespace brainalign::io {
namespace {

using detail::FileSpans;
using detail::little_endian;

constexpr std::string_view kSignature{"\x89HDF\r\n\x1a\n", 8};
// libhdf5 chains object header chunks without a limit; no real header has this many.
constexpr std::size_t kMaxHeaderChunks = 4096;
// Object header message types that point elsewhere in the file.
constexpr std::uint32_t kLinkInfoMessage = 0x02;
constexpr std::uint32_t kContinuationMessage = 0x10;
constexpr std::uint32_t kSymbolTableMessage = 0x11;

class Prescan {
 public:
  Prescan(FileSpans& file, std::uint64_t superblock) : file_(file), base_(superblock) {}

  void run() {
    const std::string head =
        file_.read(base_, std::min<std::uint64_t>(file_.size() - base_, 9), "the superblock");
    if (head.size() < 9) file_.fail("the superblock ends at the end of the file");
    const int version = static_cast<unsigned char>(head[8]);
    if (version <= 1) {
      old_superblock(version);
    } else if (version <= 3) {
      new_superblock();
    }
    // Other versions: libhdf5 refuses them itself.
  }

 private:
  struct SymbolTable {
    std::uint64_t btree;
    std::uint64_t heap;
    bool operator<(const SymbolTable& other) const {
      return std::pair(btree, heap) < std::pair(other.btree, other.heap);
    }
  };

  // Superblock versions 0 and 1: sizes, the group B-tree ranks, four addresses, and the root
  // group's symbol table entry (with the group's B-tree and heap cached in its scratch pad).
  void old_superblock(int version) {
    const std::string fixed = bytes_at_base(0, 24, "the superblock");
    set_sizes(static_cast<unsigned char>(fixed[13]), static_cast<unsigned char>(fixed[14]));
    leaf_k_ = little_endian(fixed, 16, 2);
    internal_k_ = little_endian(fixed, 18, 2);
    if (leaf_k_ == 0 || internal_k_ == 0) {
      file_.fail("the superblock gives a symbol table node rank of " + std::to_string(leaf_k_) +
                 " and a group B-tree rank of " + std::to_string(internal_k_) +
                 "; both must be positive");
    }
    const std::uint64_t addresses = version == 1 ? 28 : 24;
    const std::uint64_t entry = addresses + 4 * offsets_;
    const std::string block =
        bytes_at_base(0, entry + entry_size(), "the superblock's root group entry");
    const std::uint64_t driver = little_endian(block, addresses + 3 * offsets_, offsets_);
    if (!undefined(driver)) check_span(driver, 16, "the driver information block");
    const std::uint64_t root = little_endian(block, entry + offsets_, offsets_);
    std::set<SymbolTable> tables;
    object_header(root, "the root group's object header", &tables);
    if (little_endian(block, entry + 2 * offsets_, 4) == 1) {  // cached symbol table
      const std::size_t scratch = entry + 2 * offsets_ + 8;
      tables.insert({little_endian(block, scratch, offsets_),
                     little_endian(block, scratch + offsets_, offsets_)});
    }
    for (const SymbolTable& table : tables) group(table);
  }

  // Superblock versions 2 and 3: sizes, four addresses (the superblock extension and the root
  // group's object header among them) and a checksum.
  void new_superblock() {
    const std::string fixed = bytes_at_base(0, 12, "the superblock");
    set_sizes(static_cast<unsigned char>(fixed[9]), static_cast<unsigned char>(fixed[10]));
    const std::string block = bytes_at_base(0, 12 + 4 * offsets_ + 4, "the superblock");
    const std::uint64_t extension = little_endian(block, 12 + offsets_, offsets_);
    if (!undefined(extension)) {
      object_header(extension, "the superblock extension", nullptr);
    }
    std::set<SymbolTable> tables;
    object_header(little_endian(block, 12 + 3 * offsets_, offsets_),
                  "the root group's object header", &tables);
    for (const SymbolTable& table : tables) group(table);
  }

  void set_sizes(unsigned offsets, unsigned lengths) {
    const auto valid = [](unsigned size) { return size == 2 || size == 4 || size == 8; };
    if (!valid(offsets) || !valid(lengths)) {
      file_.fail("the superblock gives addresses of " + std::to_string(offsets) +
                 " bytes and lengths of " + std::to_string(lengths) + " bytes; expected 2, 4 or 8");
    }
    offsets_ = offsets;
    lengths_ = lengths;
    undefined_ = offsets == 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * offsets)) - 1;
  }

  bool undefined(std::uint64_t address) const { return address == undefined_; }

  // A symbol table entry: link name offset, object header address, cache type, reserved,
  // 16-byte scratch pad.
  std::uint64_t entry_size() const { return 2 * offsets_ + 24; }

  // Checks that `bytes` bytes at relative `address` lie within the file; returns the absolute
  // offset.
  std::uint64_t check_span(std::uint64_t address, std::uint64_t bytes, const std::string& what) {
    const std::uint64_t size = file_.size();
    if (undefined(address) || address > size - base_ || bytes > size - base_ - address) {
      file_.fail(what + " (" + std::to_string(bytes) + " bytes at address " +
                 std::to_string(address) + ") lies beyond the end of the file (" +
                 std::to_string(size) + " bytes)");
    }
    return base_ + address;
  }

  std::string bytes_at_base(std::uint64_t address, std::uint64_t bytes, const std::string& what) {
    return file_.read(check_span(address, bytes, what), bytes, what);
  }

  // An object header, version 1 or 2, with its continuation chunks: every message lies within
  // its chunk, and every chunk within the file. Symbol table messages are added to `tables`.
  void object_header(std::uint64_t address, const std::string& what,
                     std::set<SymbolTable>* tables) {
    const std::string prefix = bytes_at_base(address, 16, what);
    std::vector<std::pair<std::uint64_t, std::uint64_t>> chunks;  // relative address, bytes
    const bool version2 = prefix.compare(0, 4, "OHDR") == 0;
    bool creation_order = false;
    if (version2) {
      const unsigned flags = static_cast<unsigned char>(prefix[5]);
      std::uint64_t at = 6 + ((flags & 0x20) != 0 ? 16 : 0) + ((flags & 0x10) != 0 ? 4 : 0);
      const std::size_t width = std::size_t{1} << (flags & 3);
      const std::string sized = bytes_at_base(address, at + width, what);
      const std::uint64_t bytes = little_endian(sized, at, width);
      at += width;
      if (bytes > file_.size()) {
        file_.fail(what + " declares a chunk of " + std::to_string(bytes) +
                   " bytes, more than the file holds");
      }
      chunks.emplace_back(address + at, bytes);
      creation_order = (flags & 0x04) != 0;
    } else if (prefix[0] == 1) {
      chunks.emplace_back(address + 16, little_endian(prefix, 8, 4));
    } else {
      file_.fail(what + " (at address " + std::to_string(address) +
                 ") is not an object header of version 1 or 2");
    }
    std::set<std::uint64_t> seen;
    for (std::size_t i = 0; i < chunks.size(); ++i) {
      const auto [start, bytes] = chunks[i];
      if (!seen.insert(start).second || chunks.size() > kMaxHeaderChunks) {
        file_.fail(what + " chains its chunks in a loop or beyond " +
                   std::to_string(kMaxHeaderChunks) + " chunks");
      }
      const std::string chunk = bytes_at_base(start, bytes, what + ", chunk " + std::to_string(i));
      std::size_t at = 0;
      std::size_t end = chunk.size();
      // Version 2: chunk 0's size leaves out its checksum; a continuation chunk holds a
      // signature, the messages and a checksum.
      if (version2 && i > 0) {
        if (chunk.size() < 8 || chunk.compare(0, 4, "OCHK") != 0) {
          file_.fail(what + ", chunk " + std::to_string(i) + " is not a continuation chunk");
        }
        at = 4;
        end -= 4;
      }
      const std::size_t header = version2 ? (creation_order ? 6 : 4) : 8;
      while (end - at >= header) {
        const std::uint32_t type = static_cast<std::uint32_t>(
            version2 ? little_endian(chunk, at, 1) : little_endian(chunk, at, 2));
        const std::uint64_t size =
            version2 ? little_endian(chunk, at + 1, 2) : little_endian(chunk, at + 2, 2);
        at += header;
        if (size > end - at) {
          file_.fail(what + " holds a message of " + std::to_string(size) +
                     " bytes that runs past its chunk");
        }
        message(type, chunk, at, static_cast<std::size_t>(size), what, chunks, tables);
        at += static_cast<std::size_t>(size);
      }
    }
  }

  void message(std::uint32_t type, const std::string& chunk, std::size_t at, std::size_t size,
               const std::string& what,
               std::vector<std::pair<std::uint64_t, std::uint64_t>>& chunks,
               std::set<SymbolTable>* tables) {
    if (type == kContinuationMessage) {
      if (size < offsets_ + lengths_) file_.fail(what + " holds a truncated continuation message");
      const std::uint64_t address = little_endian(chunk, at, offsets_);
      const std::uint64_t bytes = little_endian(chunk, at + offsets_, lengths_);
      check_span(address, bytes, what + ", continuation chunk");
      chunks.emplace_back(address, bytes);
    } else if (type == kSymbolTableMessage && tables != nullptr) {
      if (size < 2 * offsets_) file_.fail(what + " holds a truncated symbol table message");
      tables->insert(
          {little_endian(chunk, at, offsets_), little_endian(chunk, at + offsets_, offsets_)});
    } else if (type == kLinkInfoMessage && tables != nullptr && size >= 2) {
      // Dense link storage: a fractal heap and a v2 B-tree (version, flags, [8-byte maximum
      // creation index], heap address, name index address, [creation order index address]).
      const unsigned flags = static_cast<unsigned char>(chunk[at + 1]);
      std::size_t next = at + 2 + ((flags & 1) != 0 ? 8 : 0);
      const std::size_t count = (flags & 2) != 0 ? 3 : 2;
      if (next + count * offsets_ > at + size)
        file_.fail(what + " holds a truncated link info message");
      const char* names[] = {"fractal heap", "name index", "creation order index"};
      for (std::size_t k = 0; k < count; ++k, next += offsets_) {
        const std::uint64_t address = little_endian(chunk, next, offsets_);
        if (!undefined(address)) check_span(address, 4, what + ", the links' " + names[k]);
      }
    }
  }

  // A group stored as a symbol table: its local heap (names) and its B-tree of symbol nodes.
  void group(const SymbolTable& table) {
    const std::uint64_t heap_header = 8 + 2 * lengths_ + offsets_;
    const std::string heap = bytes_at_base(table.heap, heap_header, "the root group's local heap");
    if (heap.compare(0, 4, "HEAP") != 0) {
      file_.fail("the root group's local heap (at address " + std::to_string(table.heap) +
                 ") has no HEAP signature");
    }
    check_span(little_endian(heap, 8 + 2 * lengths_, offsets_), little_endian(heap, 8, lengths_),
               "the root group's local heap data");
    btree_node(table.btree, -1, "the root group's B-tree");
  }

  // A version 1 B-tree node of a group: "TREE", type 0, level, entries used, two siblings,
  // then 2K+1 keys (lengths) between 2K children (addresses), K the superblock's rank.
  void btree_node(std::uint64_t address, int level, const std::string& what) {
    const std::uint64_t node =
        8 + 2 * offsets_ + 2 * internal_k_ * offsets_ + (2 * internal_k_ + 1) * lengths_;
    const std::string bytes = bytes_at_base(address, node, what + " node");
    const std::string at = " (at address " + std::to_string(address) + ")";
    if (!visited_.insert(address).second) file_.fail(what + " reaches a node twice" + at);
    if (bytes.compare(0, 4, "TREE") != 0 || bytes[4] != 0) {
      file_.fail(what + " has a node" + at + " that is not a group B-tree node");
    }
    const int node_level = static_cast<unsigned char>(bytes[5]);
    const std::uint64_t entries = little_endian(bytes, 6, 2);
    if ((level >= 0 && node_level != level) || entries > 2 * internal_k_) {
      file_.fail(what + " has a node" + at + " of level " + std::to_string(node_level) + " with " +
                 std::to_string(entries) + " children; expected level " +
                 (level >= 0 ? std::to_string(level) : std::string("any")) + " and at most " +
                 std::to_string(2 * internal_k_) + " children");
    }
    for (int side = 0; side < 2; ++side) {
      const std::uint64_t sibling = little_endian(bytes, 8 + side * offsets_, offsets_);
      if (!undefined(sibling)) check_span(sibling, node, what + " node's sibling");
    }
    for (std::uint64_t i = 0; i < entries; ++i) {
      const std::size_t child = 8 + 2 * offsets_ + lengths_ + i * (offsets_ + lengths_);
      const std::uint64_t target = little_endian(bytes, child, offsets_);
      if (node_level > 0) {
        btree_node(target, node_level - 1, what);
      } else {
        symbol_node(target);
      }
    }
  }

  // A symbol table node: "SNOD", version 1, reserved, the number of entries, then 2K entries
  // (K the superblock's leaf rank); each used entry names a member's object header.
  void symbol_node(std::uint64_t address) {
    const std::string what = "the root group's symbol table node";
    const std::string at = " (at address " + std::to_string(address) + ")";
    const std::string bytes = bytes_at_base(address, 8 + 2 * leaf_k_ * entry_size(), what);
    if (!visited_.insert(address).second) file_.fail(what + at + " is reached twice");
    if (bytes.compare(0, 4, "SNOD") != 0) file_.fail(what + at + " has no SNOD signature");
    const std::uint64_t symbols = little_endian(bytes, 6, 2);
    if (symbols > 2 * leaf_k_) {
      file_.fail(what + at + " holds " + std::to_string(symbols) + " entries; at most " +
                 std::to_string(2 * leaf_k_) + " fit");
    }
    for (std::uint64_t i = 0; i < symbols; ++i) {
      const std::size_t entry = 8 + static_cast<std::size_t>(i * entry_size());
      object_header(little_endian(bytes, entry + offsets_, offsets_),
                    "the object header of root group member " + std::to_string(members_++),
                    nullptr);
    }
  }

  FileSpans& file_;
  std::uint64_t base_;
  std::uint64_t offsets_ = 8;
  std::uint64_t lengths_ = 8;
  std::uint64_t undefined_ = ~std::uint64_t{0};
  std::uint64_t leaf_k_ = 4;
  std::uint64_t internal_k_ = 16;
  std::uint64_t members_ = 0;
  std::set<std::uint64_t> visited_;
};

}  // namespace

void prescan_hdf5_file(const std::filesystem::path& path) {
  FileSpans file(path, path.string());
  // The superblock sits at byte 0 or, after a user block, at 512, 1024, 2048, ...; addresses
  // are relative to it.
  for (std::uint64_t at = 0; at < file.size() && file.size() - at >= kSignature.size();
       at = at == 0 ? 512 : 2 * at) {
    if (file.read(at, kSignature.size(), "the signature") == kSignature) {
      Prescan(file, at).run();
      return;
    }
  }
}

}  // namespace brainalign::io
