#include "window/connection_flow.h"

#include "shared/connection_dialog.h"

#include <QInputDialog>
#include <QLineEdit>
#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcConnection, "etcdscope.ui.connection", QtInfoMsg)

namespace etcdscope::ui {

ConnectionFlow::ConnectionFlow(QWidget* window) : QObject(window), window_(window) {}

void ConnectionFlow::connectTo(const QString& endpoints)
{
    ConnectionInputs inputs = ConnectionDialog::rememberedInputs(endpoints);
    inputs.tls = inputs.tls || endpoints.trimmed().startsWith("https://");
    inputs.password = password_;
    if (!inputs.user.isEmpty() && inputs.password.isEmpty()) {
        // Ask the keychain first, then the person.
        readPassword(endpoints, inputs.user, this, [this, endpoints, user = inputs.user](const QString& password,
                                                                                        const QString& error) {
            if (!password.isEmpty()) {
                password_ = password;
                connectTo(endpoints);
                return;
            }
            qCInfo(lcConnection).noquote() << "no password from the keychain for" << user << "-" << error;
            bool ok = false;
            const QString typed = QInputDialog::getText(window_, tr("Password"),
                                                        tr("Password of etcd user %1 at %2:").arg(user, endpoints),
                                                        QLineEdit::Password, {}, &ok);
            if (ok && !typed.isEmpty()) {
                password_ = typed;
                connectTo(endpoints);
            }
        });
        return;
    }
    if (const QString sentence = ConnectionDialog::validationError(inputs); !sentence.isEmpty()) {
        emit problem(sentence);
        return;
    }
    emit connectRequested(ConnectionDialog::optionsFor(inputs), endpoints, false);
}

void ConnectionFlow::chooseInDialog(const QString& endpoints)
{
    ConnectionDialog dialog(window_);
    ConnectionInputs inputs = ConnectionDialog::rememberedInputs(endpoints);
    inputs.password = password_;
    dialog.setInputs(inputs);
    if (dialog.exec() != QDialog::Accepted)
        return;
    const ConnectionInputs chosen = dialog.inputs();
    ConnectionDialog::rememberInputs(chosen);
    password_ = chosen.password;
    emit endpointsChosen(chosen.endpoints);
    if (dialog.rememberPassword() && !chosen.user.isEmpty())
        storePassword(chosen.endpoints, chosen.user, chosen.password, this, [this](const QString& error) {
            if (!error.isEmpty())
                emit problem(tr("No system keychain could keep the password (%1); it is kept for this session "
                                "only and asked for again next time.")
                                 .arg(error));
        });
    emit connectRequested(dialog.options(), chosen.endpoints, dialog.startAfresh());
}

}  // namespace etcdscope::ui
