// File > Kubernetes encryption keys…: the person points to the cluster's
// EncryptionConfiguration; its aescbc, aesgcm and secretbox keys are read
// into memory for the detail panes to decrypt values with (never stored,
// never remembered across runs).
#pragma once

class QStatusBar;
class QWidget;

namespace etcdscope::ui {

void chooseEncryptionKeys(QWidget* parent, QStatusBar* status);

}  // namespace etcdscope::ui
