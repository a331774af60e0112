// How the main window gets from "connect to these endpoints" to connection
// options: the TLS files and user remembered from the connection dialog, the
// password from memory, the system keychain or the person (asked once), and
// the dialog itself. Validation problems come back as one sentence.
#pragma once

#include "transport/connection_options.h"

#include <QObject>
#include <QString>

class QWidget;

namespace etcdscope::ui {

class ConnectionFlow : public QObject {
    Q_OBJECT

public:
    explicit ConnectionFlow(QWidget* window);

    // The endpoints typed in the toolbar, with what the dialog remembered.
    void connectTo(const QString& endpoints);
    // The connection dialog, filled with `endpoints` and what it remembered.
    void chooseInDialog(const QString& endpoints);

signals:
    void connectRequested(const etcdscope::ConnectionOptions& options, const QString& endpoints, bool afresh);
    // The dialog chose these endpoints (for the toolbar).
    void endpointsChosen(const QString& endpoints);
    void problem(const QString& sentence);

private:
    QWidget* window_;
    QString password_;  // in memory only; the keychain keeps it if the person asks
};

}  // namespace etcdscope::ui
