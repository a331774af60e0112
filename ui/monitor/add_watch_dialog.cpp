#include "monitor/add_watch_dialog.h"

#include "decode/value_text.h"
#include "shared/status_colours.h"

#include <QButtonGroup>
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QEvent>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QVBoxLayout>

#include <algorithm>
#include <string_view>

namespace etcdscope::ui {

namespace {

using namespace Qt::StringLiterals;

constexpr qint64 kFirstRevision = 1;       // etcd's first revision; 0 would mean "now"

// Fields are sized for a typical key path, not for the longest possible key.
constexpr int kKeyFieldWidthChars = 40;
constexpr int kRevisionFieldWidthChars = 14;
// The error label keeps room for a wrapped sentence, so the dialog does not
// jump in height as errors come and go while the user types.
constexpr int kErrorLabelLines = 2;


// etcd orders keys as raw bytes, so compare them unsigned: 0x80..0xff sort
// after ASCII, whatever the signedness of char.
bool sortsAfter(const QByteArray& later, const QByteArray& earlier)
{
    return std::lexicographical_compare(
        earlier.begin(), earlier.end(), later.begin(), later.end(),
        [](char a, char b) { return static_cast<unsigned char>(a) < static_cast<unsigned char>(b); });
}

QString keyError(const QString& keyText, const DecodedKeyText& key, int mode)
{
    if (!key.ok())
        return AddWatchDialog::tr("The key has a malformed escape at character %1: write \\xNN "
                                  "with two hex digits, or \\\\ for a backslash.")
            .arg(key.malformedAt + 1);
    if (keyText.isEmpty() && mode != AddWatchDialog::FromKeyMode)
        return AddWatchDialog::tr("The key is empty; enter a key, or choose From key to watch all keys.");
    return {};
}

QString rangeEndError(const QString& rangeEndText, const QByteArray& key)
{
    const DecodedKeyText rangeEnd = decodeKeyText(rangeEndText);
    if (!rangeEnd.ok())
        return AddWatchDialog::tr("The range end has a malformed escape at character %1: write "
                                  "\\xNN with two hex digits, or \\\\ for a backslash.")
            .arg(rangeEnd.malformedAt + 1);
    if (rangeEndText.isEmpty())
        return AddWatchDialog::tr("The range end is empty; enter the first key past the range.");
    if (!sortsAfter(rangeEnd.bytes, key))
        return AddWatchDialog::tr("The range end must sort after the key.");
    return {};
}

QString revisionError(const QString& revisionText)
{
    const QString text = revisionText.trimmed();
    if (text.isEmpty())
        return AddWatchDialog::tr("Enter the start revision, a whole number of 1 or more.");
    // Only ASCII digits: toLongLong() would also take a sign.
    const bool digitsOnly =
        std::all_of(text.begin(), text.end(), [](QChar c) { return c >= u'0' && c <= u'9'; });
    if (!digitsOnly)
        return AddWatchDialog::tr("The start revision must be a whole number of 1 or more.");
    bool fits = false;
    const qint64 revision = text.toLongLong(&fits);
    if (!fits)
        return AddWatchDialog::tr("The start revision is too large for etcd.");
    if (revision < kFirstRevision)
        return AddWatchDialog::tr("The start revision must be a whole number of 1 or more.");
    return {};
}

QCheckBox* makeCheck(QWidget* parent, const QString& objectName, const QString& text,
                     const QString& toolTip)
{
    auto* check = new QCheckBox(text, parent);
    check->setObjectName(objectName);
    check->setToolTip(toolTip);
    return check;
}

}  // namespace

AddWatchDialog::AddWatchDialog(QWidget* parent)
    : QDialog(parent)
{
    setWindowTitle(tr("Add watch"));
    buildForm();
    chainTabOrder();
    connectValidation();
    applyErrorColour();
    revalidate();
    keyEdit_->setFocus();
}

void AddWatchDialog::buildForm()
{
    keyEdit_ = new QLineEdit(this);
    keyEdit_->setObjectName(u"keyEdit"_s);
    keyEdit_->setPlaceholderText(tr("e.g. services/api/"));
    keyEdit_->setMinimumWidth(fontMetrics().averageCharWidth() * kKeyFieldWidthChars);

    auto* keyHint = new QLabel(tr("Write bytes as \\xNN (e.g. \\x00) and a backslash as \\\\."), this);
    keyHint->setObjectName(u"keyHint"_s);
    keyHint->setTextFormat(Qt::PlainText);
    keyHint->setWordWrap(true);
    keyHint->setForegroundRole(QPalette::PlaceholderText);

    modeCombo_ = new QComboBox(this);
    modeCombo_->setObjectName(u"modeCombo"_s);
    modeCombo_->addItem(tr("Key"), int(KeyMode));
    modeCombo_->addItem(tr("Prefix"), int(PrefixMode));
    modeCombo_->addItem(tr("Range"), int(RangeMode));
    modeCombo_->addItem(tr("From key"), int(FromKeyMode));
    modeCombo_->setItemData(KeyMode, tr("Exactly this key."), Qt::ToolTipRole);
    modeCombo_->setItemData(PrefixMode, tr("Every key that starts with the key."), Qt::ToolTipRole);
    modeCombo_->setItemData(RangeMode, tr("Every key from the key up to, not including, the range end."),
                            Qt::ToolTipRole);
    modeCombo_->setItemData(FromKeyMode, tr("Every key from the key on; an empty key means all keys."),
                            Qt::ToolTipRole);

    rangeEndEdit_ = new QLineEdit(this);
    rangeEndEdit_->setObjectName(u"rangeEndEdit"_s);
    rangeEndEdit_->setPlaceholderText(tr("first key past the range, same escapes"));

    nowRadio_ = new QRadioButton(tr("&Now"), this);
    nowRadio_->setObjectName(u"nowRadio"_s);
    nowRadio_->setToolTip(tr("Report changes made from now on."));
    atRevisionRadio_ = new QRadioButton(tr("At re&vision:"), this);
    atRevisionRadio_->setObjectName(u"atRevisionRadio"_s);
    atRevisionRadio_->setToolTip(tr("Replay history from this revision, then follow live changes."));
    revisionEdit_ = new QLineEdit(this);
    revisionEdit_->setObjectName(u"revisionEdit"_s);
    revisionEdit_->setPlaceholderText(tr("e.g. 1200"));
    revisionEdit_->setMaximumWidth(fontMetrics().averageCharWidth() * kRevisionFieldWidthChars);
    startGroup_ = new QButtonGroup(this);
    startGroup_->addButton(nowRadio_);
    startGroup_->addButton(atRevisionRadio_);
    nowRadio_->setChecked(true);

    prevKvCheck_ = makeCheck(this, u"prevKvCheck"_s, tr("Include &previous values (prev-kv)"),
                             tr("Each event also carries the value the key had before it."));
    noPutCheck_ = makeCheck(this, u"noPutCheck"_s, tr("No p&uts"), tr("Leave out PUT events."));
    noDeleteCheck_ = makeCheck(this, u"noDeleteCheck"_s, tr("No &deletes"), tr("Leave out DELETE events."));
    progressCheck_ = makeCheck(this, u"progressCheck"_s, tr("Pro&gress notifications"),
                               tr("The server reports the revision reached even while nothing changes."));
    notifyCheck_ = makeCheck(this, u"notifyCheck"_s, tr("Notify &me on changes"),
                             tr("Show a desktop notification when this watch sees an event."));

    errorLabel_ = new QLabel(this);
    errorLabel_->setObjectName(u"errorLabel"_s);
    errorLabel_->setTextFormat(Qt::PlainText);
    errorLabel_->setWordWrap(true);
    errorLabel_->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    errorLabel_->setMinimumHeight(fontMetrics().lineSpacing() * kErrorLabelLines);
    errorLabel_->setAccessibleName(tr("Input problem"));

    buttonBox_ = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttonBox_->setObjectName(u"buttonBox"_s);
    connect(buttonBox_, &QDialogButtonBox::accepted, this, &AddWatchDialog::accept);
    connect(buttonBox_, &QDialogButtonBox::rejected, this, &AddWatchDialog::reject);

    auto* startRow = new QHBoxLayout;
    startRow->addWidget(nowRadio_);
    startRow->addWidget(atRevisionRadio_);
    startRow->addWidget(revisionEdit_);
    startRow->addStretch();

    auto* options = new QVBoxLayout;
    for (QCheckBox* check : {prevKvCheck_, noPutCheck_, noDeleteCheck_, progressCheck_, notifyCheck_})
        options->addWidget(check);

    // addRow(QString, QWidget*) makes the label the field's buddy, so the
    // mnemonic in the label focuses the field.
    auto* form = new QFormLayout;
    form->addRow(tr("&Key:"), keyEdit_);
    form->addRow(QString(), keyHint);
    form->addRow(tr("&Watch:"), modeCombo_);
    form->addRow(tr("Range &end:"), rangeEndEdit_);
    form->addRow(tr("Start:"), startRow);
    form->addRow(tr("Options:"), options);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(errorLabel_);
    layout->addWidget(buttonBox_);
}

// The order the form reads in, made explicit so that rearranging the
// layout code cannot reorder keyboard navigation by accident.
void AddWatchDialog::chainTabOrder()
{
    const QList<QWidget*> chain = {keyEdit_,      modeCombo_,   rangeEndEdit_,  nowRadio_,
                                   atRevisionRadio_, revisionEdit_, prevKvCheck_, noPutCheck_,
                                   noDeleteCheck_, progressCheck_, notifyCheck_};
    for (qsizetype i = 1; i < chain.size(); ++i)
        QWidget::setTabOrder(chain[i - 1], chain[i]);
}

void AddWatchDialog::connectValidation()
{
    for (QLineEdit* edit : {keyEdit_, rangeEndEdit_, revisionEdit_})
        connect(edit, &QLineEdit::textChanged, this, &AddWatchDialog::revalidate);
    connect(modeCombo_, &QComboBox::currentIndexChanged, this, &AddWatchDialog::revalidate);
    for (QAbstractButton* button : {static_cast<QAbstractButton*>(atRevisionRadio_),
                                    static_cast<QAbstractButton*>(noPutCheck_),
                                    static_cast<QAbstractButton*>(noDeleteCheck_)})
        connect(button, &QAbstractButton::toggled, this, &AddWatchDialog::revalidate);
}

void AddWatchDialog::preset(const QByteArray& key, Mode mode)
{
    keyEdit_->setText(escapeKey(key));
    modeCombo_->setCurrentIndex(modeCombo_->findData(int(mode)));
}

WatchSpec AddWatchDialog::spec() const
{
    WatchSpec spec;
    spec.key = unescapeKey(keyEdit_->text()).value_or(QByteArray()).toStdString();
    switch (mode()) {
    case KeyMode:
        break;
    case PrefixMode:
        spec.rangeEnd = prefixRangeEnd(spec.key);
        break;
    case RangeMode:
        spec.rangeEnd = unescapeKey(rangeEndEdit_->text()).value_or(QByteArray()).toStdString();
        break;
    case FromKeyMode:
        spec.rangeEnd = fromKeyRangeEnd();
        break;
    }
    if (atRevisionRadio_->isChecked())
        spec.startRevision = revisionEdit_->text().trimmed().toLongLong();
    spec.prevKv = prevKvCheck_->isChecked();
    spec.progressNotify = progressCheck_->isChecked();
    spec.noPut = noPutCheck_->isChecked();
    spec.noDelete = noDeleteCheck_->isChecked();
    return spec;
}

bool AddWatchDialog::notifyOnChange() const
{
    return notifyCheck_->isChecked();
}

QString AddWatchDialog::errorText() const
{
    return errorLabel_->text();
}

QString AddWatchDialog::validationError(const AddWatchInputs& inputs)
{
    // Checked in the order the form reads, so the message names the first
    // field the user has to fix.
    const DecodedKeyText key = decodeKeyText(inputs.key);
    if (QString error = keyError(inputs.key, key, inputs.mode); !error.isEmpty())
        return error;
    if (inputs.mode == RangeMode) {
        if (QString error = rangeEndError(inputs.rangeEnd, key.bytes); !error.isEmpty())
            return error;
    }
    if (inputs.atRevision) {
        if (QString error = revisionError(inputs.revision); !error.isEmpty())
            return error;
    }
    if (inputs.noPut && inputs.noDelete)
        return tr("No puts and no deletes together leave nothing to watch; clear one of them.");
    return {};
}

void AddWatchDialog::accept()
{
    // The OK button is disabled while the input is invalid; this also covers
    // other ways of accepting (a default button, a shortcut).
    if (!errorText().isEmpty())
        return;
    QDialog::accept();
}

void AddWatchDialog::changeEvent(QEvent* event)
{
    QDialog::changeEvent(event);
    if (isPaletteChange(event))
        applyErrorColour();
}

AddWatchInputs AddWatchDialog::inputs() const
{
    AddWatchInputs inputs;
    inputs.key = keyEdit_->text();
    inputs.mode = mode();
    inputs.rangeEnd = rangeEndEdit_->text();
    inputs.atRevision = atRevisionRadio_->isChecked();
    inputs.revision = revisionEdit_->text();
    inputs.noPut = noPutCheck_->isChecked();
    inputs.noDelete = noDeleteCheck_->isChecked();
    return inputs;
}

AddWatchDialog::Mode AddWatchDialog::mode() const
{
    return static_cast<Mode>(modeCombo_->currentData().toInt());
}

void AddWatchDialog::revalidate()
{
    rangeEndEdit_->setEnabled(mode() == RangeMode);
    revisionEdit_->setEnabled(atRevisionRadio_->isChecked());
    const QString error = validationError(inputs());
    errorLabel_->setText(error);
    buttonBox_->button(QDialogButtonBox::Ok)->setEnabled(error.isEmpty());
}

void AddWatchDialog::applyErrorColour()
{
    if (!errorLabel_)
        return;  // a palette change can arrive while the form is being built
    // A palette with only WindowText set: every other role still follows
    // the dialog's palette.
    QPalette labelPalette;
    labelPalette.setColor(QPalette::WindowText, statusColour(StatusTone::Bad, palette()));
    errorLabel_->setPalette(labelPalette);
}

}  // namespace etcdscope::ui
