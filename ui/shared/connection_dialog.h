// How to reach a cluster, as a person fills it in: endpoints, TLS (CA,
// client certificate and key, each checked when chosen) and a user with a
// password. The first problem is named in one sentence and OK stays disabled
// until there is none. Passwords never go to settings files: with "remember"
// they go to the system keychain (QtKeychain); where no keychain answers,
// the dialog says so and the password is asked for again next time.
#pragma once

#include "transport/connection_options.h"

#include <QDialog>

#include <functional>

class QCheckBox;
class QLabel;
class QLineEdit;
class QDialogButtonBox;

namespace etcdscope::ui {

struct ConnectionInputs {
    QString endpoints;
    bool tls = false;
    QString caFile;
    QString certFile;
    QString keyFile;
    QString user;
    QString password;
};

class ConnectionDialog : public QDialog {
    Q_OBJECT

public:
    explicit ConnectionDialog(QWidget* parent = nullptr);

    void setInputs(const ConnectionInputs& inputs);
    ConnectionInputs inputs() const;
    bool rememberPassword() const;
    // The endpoints are another cluster than the one watched so far: the
    // watches start from its current revision (see WatchSession::connectAfresh).
    bool startAfresh() const;
    // The options to connect with (valid only when validationError() is empty).
    ConnectionOptions options() const;

    // The first problem with `inputs`, in one sentence; empty when none.
    static QString validationError(const ConnectionInputs& inputs);
    // The options `inputs` stand for (endpoints parsed, https:// meaning TLS).
    static ConnectionOptions optionsFor(const ConnectionInputs& inputs);
    // The TLS files and user of the last connection made through the
    // dialog (settings; never the password), with these endpoints.
    static ConnectionInputs rememberedInputs(const QString& endpoints);
    // Keeps the TLS files and user of `inputs` for rememberedInputs().
    static void rememberInputs(const ConnectionInputs& inputs);

private:
    void revalidate();
    QLineEdit* fileField(const QString& objectName, const QString& placeholder, const QString& caption,
                         QWidget** row);

    QLineEdit* endpoints_;
    QCheckBox* tls_;
    QLineEdit* ca_;
    QLineEdit* cert_;
    QLineEdit* key_;
    QLineEdit* user_;
    QLineEdit* password_;
    QCheckBox* remember_;
    QCheckBox* afresh_;
    QLabel* problem_;
    QDialogButtonBox* buttons_;
};

// The password of `user` at `endpoints` in the system keychain. Both run
// their job asynchronously and call back on the caller's thread; an error
// (no keychain service, nothing stored, access refused) comes as a sentence.
void storePassword(const QString& endpoints, const QString& user, const QString& password, QObject* context,
                   std::function<void(const QString& error)> done);
void readPassword(const QString& endpoints, const QString& user, QObject* context,
                  std::function<void(const QString& password, const QString& error)> done);

}  // namespace etcdscope::ui
