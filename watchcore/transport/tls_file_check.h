// The TLS files of a connection checked before any dial, so that a file that
// is missing, not PEM, expired or an encrypted key is named in one sentence
// instead of surfacing as a TLS failure (or gRPC's "empty address list")
// after the whole dial timeout. The desktop's connection dialog and the CLI
// both ask here.
#pragma once

#include "transport/connection_options.h"

#include <QString>

namespace etcdscope {

// A PEM certificate (bundle) at `path`, currently valid; `what` names it in
// the sentence ("CA certificate"). Empty when it is fine.
QString checkCertificateFile(const QString& path, const QString& what, bool checkDates = true);
// An unencrypted PEM private key at `path`. Empty when it is fine.
QString checkKeyFile(const QString& path);
// Every file `tls` names (the CA, the client certificate and its key);
// without `checkDates` an expired certificate is left to the handshake to
// report (the CLI: that is a refusal by etcd, exit 3, not a usage error).
QString checkTlsFiles(const TlsFiles& tls, bool checkDates = true);

}  // namespace etcdscope
