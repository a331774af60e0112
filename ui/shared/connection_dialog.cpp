#include "shared/connection_dialog.h"

#include "transport/tls_file_check.h"

#include <qt6keychain/keychain.h>

#include <QCheckBox>
#include <QDateTime>
#include <QDialogButtonBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QVBoxLayout>

namespace etcdscope::ui {

namespace {

constexpr char kKeychainService[] = "etcdscope";

QString keychainKey(const QString& endpoints, const QString& user) { return user + "@" + endpoints.trimmed(); }

}  // namespace

ConnectionDialog::ConnectionDialog(QWidget* parent) : QDialog(parent)
{
    setWindowTitle(tr("Connect to etcd"));
    endpoints_ = new QLineEdit;
    endpoints_->setObjectName("endpointsEdit");
    endpoints_->setPlaceholderText("127.0.0.1:2379");
    endpoints_->setToolTip(tr("host:port of one or more members, separated by commas; https:// means TLS"));

    tls_ = new QCheckBox(tr("Use &TLS"));
    tls_->setObjectName("tlsCheck");
    QWidget* caRow = nullptr;
    QWidget* certRow = nullptr;
    QWidget* keyRow = nullptr;
    ca_ = fileField("caEdit", tr("the system's CAs"), tr("CA certificate"), &caRow);
    cert_ = fileField("certEdit", tr("none"), tr("Client certificate"), &certRow);
    key_ = fileField("keyEdit", tr("none"), tr("Client key"), &keyRow);
    auto* tlsBox = new QGroupBox(tr("Security"));
    auto* tlsForm = new QFormLayout(tlsBox);
    tlsForm->addRow(tls_);
    tlsForm->addRow(tr("CA certificate:"), caRow);
    tlsForm->addRow(tr("Client certificate:"), certRow);
    tlsForm->addRow(tr("Client key:"), keyRow);

    user_ = new QLineEdit;
    user_->setObjectName("userEdit");
    user_->setPlaceholderText(tr("none (no authentication)"));
    password_ = new QLineEdit;
    password_->setObjectName("passwordEdit");
    password_->setEchoMode(QLineEdit::Password);
    remember_ = new QCheckBox(tr("Remember the password in the system keychain"));
    remember_->setObjectName("rememberCheck");
    auto* authBox = new QGroupBox(tr("Authentication"));
    auto* authForm = new QFormLayout(authBox);
    authForm->addRow(tr("User:"), user_);
    authForm->addRow(tr("Password:"), password_);
    authForm->addRow(remember_);

    afresh_ = new QCheckBox(tr("Another cluster: start the watches afresh from its current revision"));
    afresh_->setObjectName("afreshCheck");
    afresh_->setToolTip(tr("Revisions seen so far belong to the cluster watched before; without this, a different "
                           "cluster is refused rather than mixing two histories."));

    problem_ = new QLabel;
    problem_->setObjectName("problemLabel");
    problem_->setWordWrap(true);
    buttons_ = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    buttons_->button(QDialogButtonBox::Ok)->setText(tr("&Connect"));
    connect(buttons_, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons_, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto* form = new QFormLayout;
    form->addRow(tr("&Endpoints:"), endpoints_);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(tlsBox);
    layout->addWidget(authBox);
    layout->addWidget(afresh_);
    layout->addWidget(problem_);
    layout->addStretch(1);
    layout->addWidget(buttons_);

    for (QLineEdit* edit : {endpoints_, ca_, cert_, key_, user_, password_})
        connect(edit, &QLineEdit::textChanged, this, &ConnectionDialog::revalidate);
    connect(tls_, &QCheckBox::toggled, this, [this, caRow, certRow, keyRow](bool on) {
        for (QWidget* row : {caRow, certRow, keyRow})
            row->setEnabled(on);
        revalidate();
    });
    for (QWidget* row : {caRow, certRow, keyRow})
        row->setEnabled(false);
    resize(620, sizeHint().height());
    revalidate();
}

QLineEdit* ConnectionDialog::fileField(const QString& objectName, const QString& placeholder, const QString& caption,
                                       QWidget** row)
{
    auto* edit = new QLineEdit;
    edit->setObjectName(objectName);
    edit->setPlaceholderText(placeholder);
    auto* browse = new QPushButton(tr("Browse…"));
    connect(browse, &QPushButton::clicked, this, [this, edit, caption] {
        const QString file = QFileDialog::getOpenFileName(this, caption, edit->text(),
                                                          tr("PEM files (*.pem *.crt *.cer *.key);;All files (*)"));
        if (!file.isEmpty())
            edit->setText(file);
    });
    *row = new QWidget;
    auto* layout = new QHBoxLayout(*row);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(edit, 1);
    layout->addWidget(browse);
    return edit;
}

void ConnectionDialog::setInputs(const ConnectionInputs& in)
{
    endpoints_->setText(in.endpoints);
    tls_->setChecked(in.tls);
    ca_->setText(in.caFile);
    cert_->setText(in.certFile);
    key_->setText(in.keyFile);
    user_->setText(in.user);
    password_->setText(in.password);
    revalidate();
}

ConnectionInputs ConnectionDialog::inputs() const
{
    return {endpoints_->text(), tls_->isChecked(), ca_->text().trimmed(), cert_->text().trimmed(),
            key_->text().trimmed(), user_->text().trimmed(), password_->text()};
}

bool ConnectionDialog::rememberPassword() const { return remember_->isChecked(); }

bool ConnectionDialog::startAfresh() const { return afresh_->isChecked(); }

ConnectionOptions ConnectionDialog::options() const { return optionsFor(inputs()); }

QString ConnectionDialog::validationError(const ConnectionInputs& in)
{
    const ParsedEndpoints parsed = parseEndpointList(in.endpoints.trimmed().isEmpty() ? std::string("127.0.0.1:2379")
                                                                                       : in.endpoints.toStdString());
    if (!parsed.error.empty())
        return QString::fromStdString(parsed.error);
    if (parsed.tlsScheme && !in.tls)
        return tr("An https:// endpoint needs TLS: tick Use TLS.");
    if (in.tls) {
        if (!in.caFile.isEmpty())
            if (const QString error = checkCertificateFile(in.caFile, tr("CA certificate")); !error.isEmpty())
                return error;
        if (in.certFile.isEmpty() != in.keyFile.isEmpty())
            return in.certFile.isEmpty() ? tr("A client key needs its client certificate.")
                                         : tr("A client certificate needs its key.");
        if (!in.certFile.isEmpty()) {
            if (const QString error = checkCertificateFile(in.certFile, tr("client certificate")); !error.isEmpty())
                return error;
            if (const QString error = checkKeyFile(in.keyFile); !error.isEmpty())
                return error;
        }
    }
    if (in.user.contains(':'))
        return tr("The user name cannot contain ':'; give the password in its own field.");
    if (!in.user.isEmpty() && in.password.isEmpty())
        return tr("Give the password of user %1.").arg(in.user);
    return {};
}

ConnectionInputs ConnectionDialog::rememberedInputs(const QString& endpoints)
{
    QSettings settings;
    ConnectionInputs inputs;
    inputs.endpoints = endpoints;
    inputs.tls = settings.value("connection/tls").toBool();
    inputs.caFile = settings.value("connection/caFile").toString();
    inputs.certFile = settings.value("connection/certFile").toString();
    inputs.keyFile = settings.value("connection/keyFile").toString();
    inputs.user = settings.value("connection/user").toString();
    return inputs;
}

void ConnectionDialog::rememberInputs(const ConnectionInputs& inputs)
{
    QSettings settings;
    settings.setValue("connection/tls", inputs.tls);
    settings.setValue("connection/caFile", inputs.caFile);
    settings.setValue("connection/certFile", inputs.certFile);
    settings.setValue("connection/keyFile", inputs.keyFile);
    settings.setValue("connection/user", inputs.user);
}

ConnectionOptions ConnectionDialog::optionsFor(const ConnectionInputs& in)
{
    ConnectionOptions options;
    const ParsedEndpoints parsed = parseEndpointList(in.endpoints.trimmed().isEmpty() ? std::string("127.0.0.1:2379")
                                                                                       : in.endpoints.toStdString());
    options.endpoints = parsed.endpoints;
    if (in.tls) {
        options.tls.required = true;
        options.tls.caFile = in.caFile.toStdString();
        options.tls.certFile = in.certFile.toStdString();
        options.tls.keyFile = in.keyFile.toStdString();
    }
    options.user = in.user.toStdString();
    options.password = in.password.toStdString();
    return options;
}

void ConnectionDialog::revalidate()
{
    const QString error = validationError(inputs());
    problem_->setText(error.isEmpty() ? QString() : "⚠ " + error);
    problem_->setStyleSheet(error.isEmpty() ? QString() : "QLabel { color: #c03030; }");
    buttons_->button(QDialogButtonBox::Ok)->setEnabled(error.isEmpty());
}

void storePassword(const QString& endpoints, const QString& user, const QString& password, QObject* context,
                   std::function<void(const QString& error)> done)
{
    auto* job = new QKeychain::WritePasswordJob(kKeychainService);
    job->setAutoDelete(true);
    job->setKey(keychainKey(endpoints, user));
    job->setTextData(password);
    QObject::connect(job, &QKeychain::Job::finished, context, [done = std::move(done)](QKeychain::Job* finished) {
        done(finished->error() == QKeychain::NoError ? QString() : finished->errorString());
    });
    job->start();
}

void readPassword(const QString& endpoints, const QString& user, QObject* context,
                  std::function<void(const QString& password, const QString& error)> done)
{
    auto* job = new QKeychain::ReadPasswordJob(kKeychainService);
    job->setAutoDelete(true);
    job->setKey(keychainKey(endpoints, user));
    QObject::connect(job, &QKeychain::Job::finished, context, [done = std::move(done)](QKeychain::Job* finished) {
        auto* read = static_cast<QKeychain::ReadPasswordJob*>(finished);
        if (read->error() == QKeychain::NoError)
            done(read->textData(), {});
        else
            done({}, read->errorString());
    });
    job->start();
}

}  // namespace etcdscope::ui
