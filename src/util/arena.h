// A bump allocator for memory that lives exactly as long as one unit of work (one file's scanner
// tokens): blocks are kept across reset(), so after the first file nothing is allocated from the
// heap at all. Not thread-safe: one per thread.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace sm::util {

class Arena {
 public:
  explicit Arena(size_t block_size = 64u << 10) : block_size_(block_size) {}

  // `size` bytes aligned for any scalar type; valid until reset().
  void* allocate(size_t size) {
    size = (size + kAlign - 1) & ~(kAlign - 1);
    if (size > left_) next_block(size);
    void* p = cursor_;
    cursor_ += size;
    left_ -= size;
    return p;
  }

  // Everything allocated since the last reset() is gone; the blocks are reused.
  void reset() {
    block_ = 0;
    cursor_ = nullptr;
    left_ = 0;
  }

 private:
  static constexpr size_t kAlign = alignof(std::max_align_t);

  void next_block(size_t size) {
    // The next kept block that is large enough, else a new one (a larger request gets its own size).
    while (block_ < blocks_.size() && blocks_[block_].size < size) ++block_;
    if (block_ == blocks_.size()) {
      size_t n = size > block_size_ ? size : block_size_;
      blocks_.push_back({std::make_unique_for_overwrite<std::max_align_t[]>((n + kAlign - 1) / kAlign), n});
    }
    cursor_ = reinterpret_cast<char*>(blocks_[block_].data.get());
    left_ = blocks_[block_].size;
    ++block_;
  }

  struct Block {
    std::unique_ptr<std::max_align_t[]> data;
    size_t size;
  };
  size_t block_size_;
  std::vector<Block> blocks_;
  size_t block_ = 0;  // the next block to use
  char* cursor_ = nullptr;
  size_t left_ = 0;
};

}  // namespace sm::util
