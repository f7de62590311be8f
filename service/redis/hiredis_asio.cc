#include "service/redis/hiredis_asio.h"

#include <boost/asio/posix/stream_descriptor.hpp>
#include <memory>

namespace wxgate {
namespace {

namespace asio = boost::asio;

class SocketWatch : public std::enable_shared_from_this<SocketWatch> {
 public:
  enum Direction { kRead = 0, kWrite = 1 };

  SocketWatch(asio::io_context& io, redisAsyncContext* ac) : socket_(io, ac->c.fd), ac_(ac) {}

  void Want(Direction direction, bool wanted) {
    wanted_[direction] = wanted;
    if (wanted && !waiting_[direction] && ac_ != nullptr) Wait(direction);
  }

  // hiredis is freeing the context and will close the socket itself.
  void Detach() {
    ac_ = nullptr;
    boost::system::error_code ignored;
    socket_.cancel(ignored);
    socket_.release();
  }

 private:
  void Wait(Direction direction) {
    waiting_[direction] = true;
    socket_.async_wait(
        direction == kRead ? asio::posix::stream_descriptor::wait_read
                           : asio::posix::stream_descriptor::wait_write,
        [self = shared_from_this(), direction](boost::system::error_code error) {
          self->waiting_[direction] = false;
          if (error || self->ac_ == nullptr || !self->wanted_[direction]) return;
          if (direction == kRead) {
            redisAsyncHandleRead(self->ac_);
          } else {
            redisAsyncHandleWrite(self->ac_);
          }
          // The handler may have freed the context (ac_ is then null)
          // or already re-armed this direction through Want.
          if (self->ac_ != nullptr && self->wanted_[direction] && !self->waiting_[direction]) {
            self->Wait(direction);
          }
        });
  }

  asio::posix::stream_descriptor socket_;
  redisAsyncContext* ac_;
  bool wanted_[2] = {false, false};
  bool waiting_[2] = {false, false};
};

SocketWatch& WatchOf(void* data) { return **static_cast<std::shared_ptr<SocketWatch>*>(data); }

}  // namespace

void AttachToAsio(asio::io_context& io, redisAsyncContext* ac) {
  // hiredis keeps a plain pointer; it owns one reference until cleanup.
  ac->ev.data = new std::shared_ptr<SocketWatch>(std::make_shared<SocketWatch>(io, ac));
  ac->ev.addRead = [](void* data) { WatchOf(data).Want(SocketWatch::kRead, true); };
  ac->ev.delRead = [](void* data) { WatchOf(data).Want(SocketWatch::kRead, false); };
  ac->ev.addWrite = [](void* data) { WatchOf(data).Want(SocketWatch::kWrite, true); };
  ac->ev.delWrite = [](void* data) { WatchOf(data).Want(SocketWatch::kWrite, false); };
  ac->ev.cleanup = [](void* data) {
    auto* watch = static_cast<std::shared_ptr<SocketWatch>*>(data);
    (*watch)->Detach();
    delete watch;
  };
}

}  // namespace wxgate
