#include "shared/encryption_keys.h"

#include "decode/kubernetes/encryption.h"

#include <QFileDialog>
#include <QMessageBox>
#include <QStatusBar>

namespace etcdscope::ui {

void chooseEncryptionKeys(QWidget* parent, QStatusBar* status)
{
    const QString path = QFileDialog::getOpenFileName(
        parent, QObject::tr("The cluster's EncryptionConfiguration"), QString(),
        QObject::tr("EncryptionConfiguration (*.yaml *.yml *.json);;All files (*)"));
    if (path.isEmpty())
        return;
    std::string error;
    auto keys = kubernetes::loadEncryptionConfiguration(path.toStdString(), &error);
    if (!keys) {
        QMessageBox::warning(parent, QObject::tr("Encryption keys"), QString::fromStdString(error));
        return;
    }
    const int count = int(keys->keys.size());
    kubernetes::useEncryptionKeys(std::make_shared<const kubernetes::EncryptionKeys>(std::move(*keys)));
    if (status)
        status->showMessage(QObject::tr("%n key(s) read from %1 (kept in memory only); select a value again to "
                                        "decrypt it.", nullptr, count)
                                .arg(path),
                            10'000);
}

}  // namespace etcdscope::ui
