#pragma once

// A contiguous input buffer: bytes are read into the free tail and consumed
// from the front; consumed space is reclaimed by moving the unread rest to
// the start. HTTP heads must be contiguous for the parser.

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace faasd::watchdog {

class ByteBuffer {
public:
    explicit ByteBuffer(size_t initial = 8 * 1024) : initial_(initial), capacity_(initial) {}

    std::string_view readable() const { return {data_.get() + begin_, end_ - begin_}; }
    size_t size() const { return end_ - begin_; }
    bool empty() const { return begin_ == end_; }
    void consume(size_t n) {
        begin_ += n;
        if (begin_ == end_) {
            begin_ = end_ = 0;
        }
    }

    // Free space of at least min bytes (unless that would exceed maxCapacity);
    // the returned size may be 0 when the buffer is full at maxCapacity.
    std::pair<char*, size_t> prepare(size_t min, size_t maxCapacity) {
        if (!data_) {
            data_.reset(new char[capacity_]); // not zeroed: untouched pages stay free
        }
        if (capacity_ - end_ < min && begin_ > 0) {
            std::memmove(data_.get(), data_.get() + begin_, end_ - begin_);
            end_ -= begin_;
            begin_ = 0;
        }
        if (capacity_ - end_ < min && capacity_ < maxCapacity) {
            size_t grown = capacity_;
            while (grown - end_ < min && grown < maxCapacity) {
                grown *= 2;
            }
            grown = grown > maxCapacity ? maxCapacity : grown;
            std::unique_ptr<char[]> bigger(new char[grown]);
            std::memcpy(bigger.get(), data_.get() + begin_, end_ - begin_);
            end_ -= begin_;
            begin_ = 0;
            data_ = std::move(bigger);
            capacity_ = grown;
        }
        return {data_.get() + end_, capacity_ - end_};
    }
    void commit(size_t n) { end_ += n; }

    // Gives the memory back when idle (keeps nothing buffered).
    void release() {
        if (empty()) {
            data_.reset();
            begin_ = end_ = 0;
            capacity_ = initial_;
        }
    }

private:
    std::unique_ptr<char[]> data_;
    size_t initial_;
    size_t capacity_;
    size_t begin_ = 0;
    size_t end_ = 0;
};

} // namespace faasd::watchdog
