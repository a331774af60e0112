// The dialog that defines one watch: what to watch (key, prefix, range or
// from-key), where to start (now or a revision), filters and options.
// Keys are bytes; the user types them as text with \xNN and \\ escapes.
#pragma once

#include "engine/watch_types.h"

#include <QByteArray>
#include <QDialog>
#include <QString>

#include <optional>

class QButtonGroup;
class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QRadioButton;

namespace etcdscope::ui {

// The dialog's inputs as typed, so validation can be tested without widgets.
struct AddWatchInputs {
    QString key{};            // first key, with \xNN and \\ escapes
    int mode = 0;             // an AddWatchDialog::Mode
    QString rangeEnd{};       // Range mode only: the first key past the range, escaped
    bool atRevision = false;  // start at `revision` rather than now
    QString revision{};       // the start revision as typed
    bool noPut = false;       // filter out PUT events
    bool noDelete = false;    // filter out DELETE events
};

class AddWatchDialog : public QDialog {
    Q_OBJECT

public:
    enum Mode { KeyMode, PrefixMode, RangeMode, FromKeyMode };
    Q_ENUM(Mode)

    explicit AddWatchDialog(QWidget* parent = nullptr);

    // Fills key and mode, e.g. for "watch this key / prefix" from the key tree.
    void preset(const QByteArray& key, Mode mode);

    // The watch as entered; meaningful only while errorText() is empty.
    // Prefix and From key modes get their range end from prefixRangeEnd() /
    // fromKeyRangeEnd().
    WatchSpec spec() const;
    // "Notify me on changes": a desktop notification, not part of the spec.
    bool notifyOnChange() const;
    // What the inline error label shows; empty when the input is valid.
    QString errorText() const;

    // The first invalid input, explained in one sentence; empty when valid.
    static QString validationError(const AddWatchInputs& inputs);
    // Keys are typed with the escapes of decode/value_text.h (unescapeKey).

    void accept() override;

protected:
    void changeEvent(QEvent* event) override;

private:
    void buildForm();
    void chainTabOrder();
    void connectValidation();
    AddWatchInputs inputs() const;
    Mode mode() const;
    void revalidate();
    void applyErrorColour();

    QLineEdit* keyEdit_ = nullptr;
    QComboBox* modeCombo_ = nullptr;
    QLineEdit* rangeEndEdit_ = nullptr;
    QButtonGroup* startGroup_ = nullptr;
    QRadioButton* nowRadio_ = nullptr;
    QRadioButton* atRevisionRadio_ = nullptr;
    QLineEdit* revisionEdit_ = nullptr;
    QCheckBox* prevKvCheck_ = nullptr;
    QCheckBox* noPutCheck_ = nullptr;
    QCheckBox* noDeleteCheck_ = nullptr;
    QCheckBox* progressCheck_ = nullptr;
    QCheckBox* notifyCheck_ = nullptr;
    QLabel* errorLabel_ = nullptr;
    QDialogButtonBox* buttonBox_ = nullptr;
};

}  // namespace etcdscope::ui
