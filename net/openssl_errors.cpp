// CAF 0.17.6's OpenSSL module (libcaf_openssl) never empties the thread's
// OpenSSL error queue. OpenSSL requires it empty before each SSL_read,
// SSL_write, SSL_connect and SSL_accept, or SSL_get_error misreads the next
// "would block" as a fatal error. CAF drains it only inside its log
// statements, which Debian's build compiles out (CAF_LOG_LEVEL_QUIET). So
// one refused handshake (a peer with a certificate of another CA, a port
// scan) leaves an error on the middleman's thread, and from then on every
// TLS link of the node fails on its next idle read: the links flap for good.
//
// These definitions stand in for libssl's four calls (the executable's
// symbols come first in the dynamic linker's search): each empties the
// queue, then calls libssl's own. Nothing else in actorchat speaks TLS.
#include <dlfcn.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "net/cluster.hpp"

namespace {

template <class F> F next_definition(const char* name) {
  return reinterpret_cast<F>(::dlsym(RTLD_NEXT, name));
}

} // namespace

extern "C" {

int SSL_read(SSL* ssl, void* buf, int num) {
  static auto real = next_definition<int (*)(SSL*, void*, int)>("SSL_read");
  ERR_clear_error();
  return real(ssl, buf, num);
}

int SSL_write(SSL* ssl, const void* buf, int num) {
  static auto real =
      next_definition<int (*)(SSL*, const void*, int)>("SSL_write");
  ERR_clear_error();
  return real(ssl, buf, num);
}

int SSL_connect(SSL* ssl) {
  static auto real = next_definition<int (*)(SSL*)>("SSL_connect");
  ERR_clear_error();
  return real(ssl);
}

int SSL_accept(SSL* ssl) {
  static auto real = next_definition<int (*)(SSL*)>("SSL_accept");
  ERR_clear_error();
  return real(ssl);
}

} // extern "C"

namespace chat::net {

bool openssl_error_queue_fixed() {
  // libcaf_openssl must reach the definitions above, not libssl's.
  return ::dlsym(RTLD_DEFAULT, "SSL_read") ==
         reinterpret_cast<void*>(&SSL_read);
}

} // namespace chat::net
