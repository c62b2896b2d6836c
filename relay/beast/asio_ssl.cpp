// Asio's SSL code, compiled once for the whole project
// (BOOST_ASIO_SEPARATE_COMPILATION); only TLS users link it.
#include <boost/asio/ssl/impl/src.hpp>
