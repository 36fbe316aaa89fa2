// The one place that includes Boost.Asio/Beast for src/http. Boost 1.74's awaitable.hpp needs
// <utility> before it on GCC 12, so every file of this module includes Asio through here.
// Also names the concrete executor, socket and timer types the server uses (a concrete
// io_context executor instead of any_io_executor: no type erasure on the hot path).
#pragma once

#include <utility>  // must precede Asio headers (Boost 1.74 + GCC 12)

#include <chrono>

#include <boost/asio.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace undersigned::http {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

using IoExecutor = net::io_context::executor_type;
using Socket = net::basic_stream_socket<tcp, IoExecutor>;
using Acceptor = net::basic_socket_acceptor<tcp, IoExecutor>;
using SteadyTimer =
    net::basic_waitable_timer<std::chrono::steady_clock,
                              net::wait_traits<std::chrono::steady_clock>, IoExecutor>;
template <typename T = void>
using Task = net::awaitable<T, IoExecutor>;
inline constexpr net::use_awaitable_t<IoExecutor> kUseAwaitable{};

}  // namespace undersigned::http
