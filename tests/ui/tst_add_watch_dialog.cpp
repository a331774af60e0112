// The add-watch dialog: validation and escapes as pure functions, then the
// widgets as a person uses them. Expected specs and escaped texts are written
// out by hand, not computed with the dialog's own helpers.
#include "decode/value_text.h"
#include "monitor/add_watch_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSet>
#include <QtTest>

#include <cmath>
#include <string>

using namespace etcdscope;
using namespace etcdscope::ui;
using namespace Qt::StringLiterals;
using namespace std::string_literals;

namespace {

// What a person enters in the form; the mode by its visible name.
struct FormEntry {
    QString key;
    QString mode = u"Key"_s;
    QString rangeEnd{};
    QString revision{};  // empty: start now
    bool prevKv = false;
    bool progress = false;
    bool noPut = false;
    bool noDelete = false;
};

}  // namespace

Q_DECLARE_METATYPE(etcdscope::ui::AddWatchInputs)
Q_DECLARE_METATYPE(etcdscope::WatchSpec)
Q_DECLARE_METATYPE(FormEntry)

namespace etcdscope {

// Lets QCOMPARE print both specs when they differ; bytes as hex.
char* toString(const WatchSpec& spec)
{
    const QByteArray text = "{key=" + QByteArray::fromStdString(spec.key).toHex(' ')
        + " rangeEnd=" + QByteArray::fromStdString(spec.rangeEnd).toHex(' ')
        + " startRevision=" + QByteArray::number(spec.startRevision)
        + " prevKv=" + QByteArray::number(spec.prevKv)
        + " progressNotify=" + QByteArray::number(spec.progressNotify)
        + " noPut=" + QByteArray::number(spec.noPut)
        + " noDelete=" + QByteArray::number(spec.noDelete) + "}";
    return qstrdup(text.constData());
}

}  // namespace etcdscope

namespace {

constexpr double kWcagMinimumTextContrast = 4.5;  // WCAG 2 AA for normal text
constexpr int kMaxRedHueDistanceDeg = 15;
constexpr int kFullCircleDeg = 360;
constexpr double kMinimumErrorSaturation = 0.5;
constexpr int kMaxFocusChainSteps = 200;  // far more widgets than the dialog has

template <typename T>
T* findNamed(const QWidget& parent, const char* name)
{
    T* widget = parent.findChild<T*>(QString::fromLatin1(name));
    if (!widget)
        qFatal("no %s named %s", T::staticMetaObject.className(), name);
    return widget;
}

QPushButton* okButton(const QWidget& dialog)
{
    return findNamed<QDialogButtonBox>(dialog, "buttonBox")->button(QDialogButtonBox::Ok);
}

void chooseMode(const QWidget& dialog, const QString& modeText)
{
    auto* combo = findNamed<QComboBox>(dialog, "modeCombo");
    const int index = combo->findText(modeText);
    if (index < 0)
        qFatal("no mode named %s", qPrintable(modeText));
    combo->setCurrentIndex(index);
}

void fill(const QWidget& dialog, const FormEntry& entry)
{
    findNamed<QLineEdit>(dialog, "keyEdit")->setText(entry.key);
    chooseMode(dialog, entry.mode);
    findNamed<QLineEdit>(dialog, "rangeEndEdit")->setText(entry.rangeEnd);
    if (!entry.revision.isEmpty()) {
        findNamed<QRadioButton>(dialog, "atRevisionRadio")->setChecked(true);
        findNamed<QLineEdit>(dialog, "revisionEdit")->setText(entry.revision);
    }
    findNamed<QCheckBox>(dialog, "prevKvCheck")->setChecked(entry.prevKv);
    findNamed<QCheckBox>(dialog, "progressCheck")->setChecked(entry.progress);
    findNamed<QCheckBox>(dialog, "noPutCheck")->setChecked(entry.noPut);
    findNamed<QCheckBox>(dialog, "noDeleteCheck")->setChecked(entry.noDelete);
}

// The letter after a single '&', lower-cased; null if there is none.
QChar mnemonicOf(const QString& text)
{
    for (qsizetype i = 0; i + 1 < text.size(); ++i) {
        if (text[i] != u'&')
            continue;
        if (text[i + 1] != u'&')
            return text[i + 1].toLower();
        ++i;  // "&&" is a literal ampersand
    }
    return {};
}

// The text that carries an input's mnemonic: its own, or its buddy label's.
QString mnemonicTextFor(const QWidget& dialog, QWidget* input)
{
    if (auto* button = qobject_cast<QAbstractButton*>(input))
        return button->text();
    for (QLabel* label : dialog.findChildren<QLabel*>()) {
        if (label->buddy() == input)
            return label->text();
    }
    return {};
}

// WCAG 2 relative luminance and contrast ratio.
double relativeLuminance(const QColor& colour)
{
    const auto linear = [](double channel) {
        return channel <= 0.03928 ? channel / 12.92 : std::pow((channel + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * linear(colour.redF()) + 0.7152 * linear(colour.greenF())
        + 0.0722 * linear(colour.blueF());
}

double contrastRatio(const QColor& a, const QColor& b)
{
    const double la = relativeLuminance(a);
    const double lb = relativeLuminance(b);
    return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

}  // namespace

class TestAddWatchDialog : public QObject {
    Q_OBJECT

private slots:
    // --- validation, without widgets ---

    void shouldExplainTheFirstInvalidInput_data()
    {
        QTest::addColumn<AddWatchInputs>("inputs");
        QTest::addColumn<QString>("expected");  // a phrase of the message; empty: valid

        const QString keyEmpty = u"key is empty"_s;
        const QString rangeOrder = u"range end must sort after the key"_s;
        const QString wholeNumber = u"whole number of 1 or more"_s;

        // The key
        QTest::newRow("plain key") << AddWatchInputs{.key = u"cfg/a"_s} << QString();
        QTest::newRow("empty key, key mode") << AddWatchInputs{.key = u""_s} << keyEmpty;
        QTest::newRow("empty key, prefix mode")
            << AddWatchInputs{.mode = AddWatchDialog::PrefixMode} << keyEmpty;
        QTest::newRow("empty key, range mode")
            << AddWatchInputs{.mode = AddWatchDialog::RangeMode, .rangeEnd = u"b"_s} << keyEmpty;
        QTest::newRow("empty key, from key means all keys")
            << AddWatchInputs{.mode = AddWatchDialog::FromKeyMode} << QString();
        // Escapes
        QTest::newRow("hex escape, lower case") << AddWatchInputs{.key = u"a\\x00b"_s} << QString();
        QTest::newRow("hex escape, upper case") << AddWatchInputs{.key = u"\\xFF"_s} << QString();
        QTest::newRow("escaped backslash") << AddWatchInputs{.key = u"a\\\\b"_s} << QString();
        QTest::newRow("escaped backslash before x is literal")
            << AddWatchInputs{.key = u"\\\\x4"_s} << QString();
        QTest::newRow("hex escape with one digit")
            << AddWatchInputs{.key = u"ab\\x4"_s} << u"key has a malformed escape at character 3"_s;
        QTest::newRow("hex escape with a non-hex digit")
            << AddWatchInputs{.key = u"\\xg0"_s} << u"key has a malformed escape at character 1"_s;
        QTest::newRow("upper-case X") << AddWatchInputs{.key = u"\\X41"_s} << u"malformed escape"_s;
        QTest::newRow("unknown escape")
            << AddWatchInputs{.key = u"a\\n"_s} << u"malformed escape at character 2"_s;
        QTest::newRow("trailing backslash")
            << AddWatchInputs{.key = u"abc\\"_s} << u"malformed escape at character 4"_s;
        QTest::newRow("malformed key in from-key mode")
            << AddWatchInputs{.key = u"\\x"_s, .mode = AddWatchDialog::FromKeyMode}
            << u"key has a malformed escape"_s;
        // The range end
        QTest::newRow("range end after key")
            << AddWatchInputs{.key = u"a"_s, .mode = AddWatchDialog::RangeMode, .rangeEnd = u"b"_s}
            << QString();
        QTest::newRow("range end equal to key")
            << AddWatchInputs{.key = u"a"_s, .mode = AddWatchDialog::RangeMode, .rangeEnd = u"a"_s}
            << rangeOrder;
        QTest::newRow("range end before key")
            << AddWatchInputs{.key = u"b"_s, .mode = AddWatchDialog::RangeMode, .rangeEnd = u"a"_s}
            << rangeOrder;
        QTest::newRow("range end a prefix of the key")
            << AddWatchInputs{.key = u"ab"_s, .mode = AddWatchDialog::RangeMode, .rangeEnd = u"a"_s}
            << rangeOrder;
        QTest::newRow("range end extending the key by a nul byte")
            << AddWatchInputs{.key = u"a"_s, .mode = AddWatchDialog::RangeMode, .rangeEnd = u"a\\x00"_s}
            << QString();
        QTest::newRow("empty range end")
            << AddWatchInputs{.key = u"a"_s, .mode = AddWatchDialog::RangeMode} << u"range end is empty"_s;
        QTest::newRow("binary range end above 0x7f, bytes compared unsigned")
            << AddWatchInputs{.key = u"a\\x7f"_s, .mode = AddWatchDialog::RangeMode,
                              .rangeEnd = u"a\\x80"_s}
            << QString();
        QTest::newRow("binary range end 0x7f before key 0x80")
            << AddWatchInputs{.key = u"\\x80"_s, .mode = AddWatchDialog::RangeMode,
                              .rangeEnd = u"\\x7f"_s}
            << rangeOrder;
        QTest::newRow("range end nul byte sorts before any key")
            << AddWatchInputs{.key = u"a"_s, .mode = AddWatchDialog::RangeMode, .rangeEnd = u"\\x00"_s}
            << rangeOrder;
        QTest::newRow("malformed range end")
            << AddWatchInputs{.key = u"a"_s, .mode = AddWatchDialog::RangeMode, .rangeEnd = u"b\\x1"_s}
            << u"range end has a malformed escape at character 2"_s;
        QTest::newRow("range end ignored outside range mode")
            << AddWatchInputs{.key = u"b"_s, .mode = AddWatchDialog::PrefixMode, .rangeEnd = u"\\x"_s}
            << QString();
        // The start revision
        QTest::newRow("revision 1")
            << AddWatchInputs{.key = u"a"_s, .atRevision = true, .revision = u"1"_s} << QString();
        QTest::newRow("largest revision")
            << AddWatchInputs{.key = u"a"_s, .atRevision = true, .revision = u"9223372036854775807"_s}
            << QString();
        QTest::newRow("revision with surrounding spaces")
            << AddWatchInputs{.key = u"a"_s, .atRevision = true, .revision = u" 42 "_s} << QString();
        QTest::newRow("revision 0")
            << AddWatchInputs{.key = u"a"_s, .atRevision = true, .revision = u"0"_s} << wholeNumber;
        QTest::newRow("negative revision")
            << AddWatchInputs{.key = u"a"_s, .atRevision = true, .revision = u"-5"_s} << wholeNumber;
        QTest::newRow("revision with plus sign")
            << AddWatchInputs{.key = u"a"_s, .atRevision = true, .revision = u"+5"_s} << wholeNumber;
        QTest::newRow("fractional revision")
            << AddWatchInputs{.key = u"a"_s, .atRevision = true, .revision = u"1.5"_s} << wholeNumber;
        QTest::newRow("revision with letters")
            << AddWatchInputs{.key = u"a"_s, .atRevision = true, .revision = u"12a"_s} << wholeNumber;
        QTest::newRow("empty revision")
            << AddWatchInputs{.key = u"a"_s, .atRevision = true} << wholeNumber;
        QTest::newRow("revision past 64 bits")
            << AddWatchInputs{.key = u"a"_s, .atRevision = true, .revision = u"9223372036854775808"_s}
            << u"too large"_s;
        QTest::newRow("revision ignored when starting now")
            << AddWatchInputs{.key = u"a"_s, .atRevision = false, .revision = u"abc"_s} << QString();
        // Filters
        QTest::newRow("no puts alone") << AddWatchInputs{.key = u"a"_s, .noPut = true} << QString();
        QTest::newRow("no deletes alone") << AddWatchInputs{.key = u"a"_s, .noDelete = true} << QString();
        QTest::newRow("no puts and no deletes")
            << AddWatchInputs{.key = u"a"_s, .noPut = true, .noDelete = true} << u"leave nothing"_s;
        // The first problem in form order wins
        QTest::newRow("key before range end")
            << AddWatchInputs{.mode = AddWatchDialog::RangeMode, .atRevision = true, .noPut = true,
                              .noDelete = true}
            << keyEmpty;
        QTest::newRow("range end before revision")
            << AddWatchInputs{.key = u"a"_s, .mode = AddWatchDialog::RangeMode, .atRevision = true,
                              .revision = u"0"_s}
            << u"range end is empty"_s;
        QTest::newRow("revision before filters")
            << AddWatchInputs{.key = u"a"_s, .atRevision = true, .revision = u"x"_s, .noPut = true,
                              .noDelete = true}
            << wholeNumber;
    }
    void shouldExplainTheFirstInvalidInput()
    {
        QFETCH(AddWatchInputs, inputs);
        QFETCH(QString, expected);

        // When
        const QString error = AddWatchDialog::validationError(inputs);

        // Then
        if (expected.isEmpty()) {
            QVERIFY2(error.isEmpty(), qPrintable(error));
            return;
        }
        QVERIFY2(error.contains(expected), qPrintable(error));
        // ... in one readable sentence
        QVERIFY2(error.front().isUpper(), qPrintable(error));
        QVERIFY2(error.endsWith(u'.'), qPrintable(error));
        QVERIFY2(!error.chopped(1).contains(u". "_s), qPrintable(error));
        QVERIFY2(!error.contains(u'\n'), qPrintable(error));
    }

    void shouldUnescapeKeys_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("wellFormed");
        QTest::addColumn<QByteArray>("bytes");

        QTest::newRow("empty") << u""_s << true << QByteArray();
        QTest::newRow("plain ascii") << u"svc/a"_s << true << QByteArray("svc/a");
        QTest::newRow("nul byte") << u"\\x00"_s << true << QByteArray("\0", 1);
        QTest::newRow("bytes between text") << u"a\\x00b\\x7Fc"_s << true << QByteArray("a\0b\x7f" "c", 5);
        QTest::newRow("high bytes, both cases") << u"\\xff\\xFe"_s << true << QByteArray("\xff\xfe");
        QTest::newRow("backslash") << u"a\\\\b"_s << true << QByteArray("a\\b");
        QTest::newRow("escaped backslash before x") << u"\\\\x41"_s << true << QByteArray("\\x41");
        QTest::newRow("utf-8 text") << u"clé"_s << true << QByteArray("cl\xc3\xa9");
        QTest::newRow("text outside the BMP") << u"😀"_s << true << QByteArray("\xf0\x9f\x98\x80");
        QTest::newRow("one hex digit") << u"\\x4"_s << false << QByteArray();
        QTest::newRow("non-hex digits") << u"\\xzz"_s << false << QByteArray();
        QTest::newRow("upper-case X") << u"\\X41"_s << false << QByteArray();
        QTest::newRow("other escape") << u"\\n"_s << false << QByteArray();
        QTest::newRow("trailing backslash") << u"a\\"_s << false << QByteArray();
    }
    void shouldUnescapeKeys()
    {
        QFETCH(QString, text);
        QFETCH(bool, wellFormed);
        QFETCH(QByteArray, bytes);

        const std::optional<QByteArray> result = unescapeKey(text);

        QCOMPARE(result.has_value(), wellFormed);
        if (wellFormed)
            QCOMPARE(*result, bytes);
    }

    void shouldEscapeBytesSoThatTheyUnescapeBack_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("text");

        QTest::newRow("plain ascii") << QByteArray("svc/a") << u"svc/a"_s;
        QTest::newRow("nul and 0xff") << QByteArray("\0\xff", 2) << u"\\x00\\xff"_s;
        QTest::newRow("backslash") << QByteArray("dir\\name") << u"dir\\\\name"_s;
        QTest::newRow("control character") << QByteArray("line\nbreak") << u"line\\x0abreak"_s;
        QTest::newRow("readable utf-8 stays readable") << QByteArray("clé/日本") << u"clé/日本"_s;
        QTest::newRow("invalid utf-8 escaped byte by byte") << QByteArray("a\xc3") << u"a\\xc3"_s;
    }
    void shouldEscapeBytesSoThatTheyUnescapeBack()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, text);

        QCOMPARE(escapeKey(bytes), text);
        QCOMPARE(unescapeKey(text).value_or("<malformed>"), bytes);
    }

    // --- the widgets ---

    void shouldStartWithOkDisabledAndAskForAKey()
    {
        // Given a new dialog
        AddWatchDialog dialog;

        // Then
        QCOMPARE(dialog.windowTitle(), u"Add watch"_s);
        QVERIFY(!okButton(dialog)->isEnabled());
        QVERIFY2(dialog.errorText().contains(u"key is empty"_s), qPrintable(dialog.errorText()));
        QCOMPARE(findNamed<QLabel>(dialog, "errorLabel")->text(), dialog.errorText());
    }

    void shouldEnableOkWhenAKeyIsTyped()
    {
        // Given
        AddWatchDialog dialog;
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));

        // When
        QTest::keyClicks(findNamed<QLineEdit>(dialog, "keyEdit"), u"cfg/a"_s);

        // Then
        QVERIFY(okButton(dialog)->isEnabled());
        QCOMPARE(dialog.errorText(), QString());
        QCOMPARE(findNamed<QLabel>(dialog, "errorLabel")->text(), QString());
    }

    void shouldDisableOkAndExplainWhenTheRangeEndSortsBeforeTheKey()
    {
        // Given a key
        AddWatchDialog dialog;
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        QTest::keyClicks(findNamed<QLineEdit>(dialog, "keyEdit"), u"b"_s);
        QVERIFY(okButton(dialog)->isEnabled());

        // When Range is chosen with an end before the key
        chooseMode(dialog, u"Range"_s);
        QTest::keyClicks(findNamed<QLineEdit>(dialog, "rangeEndEdit"), u"a"_s);

        // Then
        QVERIFY(!okButton(dialog)->isEnabled());
        QCOMPARE(dialog.errorText(), u"The range end must sort after the key."_s);
        auto* errorLabel = findNamed<QLabel>(dialog, "errorLabel");
        QCOMPARE(errorLabel->text(), u"The range end must sort after the key."_s);
        QVERIFY(errorLabel->isVisible());

        // When the end is corrected
        auto* rangeEndEdit = findNamed<QLineEdit>(dialog, "rangeEndEdit");
        rangeEndEdit->clear();
        QTest::keyClicks(rangeEndEdit, u"c"_s);

        // Then
        QVERIFY(okButton(dialog)->isEnabled());
        QCOMPARE(dialog.errorText(), QString());
    }

    void shouldEnableTheRangeEndOnlyForRange_data()
    {
        QTest::addColumn<QString>("mode");
        QTest::addColumn<bool>("enabled");
        QTest::newRow("key") << u"Key"_s << false;
        QTest::newRow("prefix") << u"Prefix"_s << false;
        QTest::newRow("range") << u"Range"_s << true;
        QTest::newRow("from key") << u"From key"_s << false;
    }
    void shouldEnableTheRangeEndOnlyForRange()
    {
        QFETCH(QString, mode);
        QFETCH(bool, enabled);
        // Given
        AddWatchDialog dialog;
        chooseMode(dialog, u"Range"_s == mode ? u"Key"_s : u"Range"_s);  // start from the opposite
        // When
        chooseMode(dialog, mode);
        // Then
        QCOMPARE(findNamed<QLineEdit>(dialog, "rangeEndEdit")->isEnabled(), enabled);
    }

    void shouldEnableTheRevisionOnlyWhenStartingAtARevision()
    {
        // Given a new dialog, which starts now
        AddWatchDialog dialog;
        auto* revisionEdit = findNamed<QLineEdit>(dialog, "revisionEdit");
        QVERIFY(findNamed<QRadioButton>(dialog, "nowRadio")->isChecked());
        QVERIFY(!revisionEdit->isEnabled());

        // When
        findNamed<QRadioButton>(dialog, "atRevisionRadio")->setChecked(true);
        // Then
        QVERIFY(revisionEdit->isEnabled());

        // When
        findNamed<QRadioButton>(dialog, "nowRadio")->setChecked(true);
        // Then
        QVERIFY(!revisionEdit->isEnabled());
    }

    void shouldKeepOkDisabledWhileBothFiltersAreOn()
    {
        // Given a valid watch
        AddWatchDialog dialog;
        findNamed<QLineEdit>(dialog, "keyEdit")->setText(u"a"_s);
        auto* noPut = findNamed<QCheckBox>(dialog, "noPutCheck");
        auto* noDelete = findNamed<QCheckBox>(dialog, "noDeleteCheck");

        // When both filters are clicked on
        noPut->click();
        QVERIFY(okButton(dialog)->isEnabled());
        noDelete->click();

        // Then
        QVERIFY(noPut->isChecked() && noDelete->isChecked());
        QVERIFY(!okButton(dialog)->isEnabled());
        QVERIFY(!dialog.errorText().isEmpty());

        // When one is cleared again
        noPut->click();
        // Then
        QVERIFY(okButton(dialog)->isEnabled());
    }

    void shouldBuildTheSpecForEachMode_data()
    {
        QTest::addColumn<FormEntry>("entry");
        QTest::addColumn<WatchSpec>("expected");

        QTest::newRow("key") << FormEntry{.key = u"cfg/a"_s} << WatchSpec{.key = "cfg/a", .rangeEnd = ""};
        QTest::newRow("prefix") << FormEntry{.key = u"svc/"_s, .mode = u"Prefix"_s}
                                << WatchSpec{.key = "svc/", .rangeEnd = "svc0"};
        QTest::newRow("prefix ending in 0xff") << FormEntry{.key = u"a\\xff"_s, .mode = u"Prefix"_s}
                                               << WatchSpec{.key = "a\xff", .rangeEnd = "b"};
        QTest::newRow("range") << FormEntry{.key = u"a"_s, .mode = u"Range"_s, .rangeEnd = u"m"_s}
                               << WatchSpec{.key = "a", .rangeEnd = "m"};
        QTest::newRow("binary range")
            << FormEntry{.key = u"\\x00\\x01"_s, .mode = u"Range"_s, .rangeEnd = u"\\x00\\x02"_s}
            << WatchSpec{.key = "\x00\x01"s, .rangeEnd = "\x00\x02"s};
        QTest::newRow("from key") << FormEntry{.key = u"m"_s, .mode = u"From key"_s}
                                  << WatchSpec{.key = "m", .rangeEnd = "\0"s};
        QTest::newRow("all keys") << FormEntry{.key = u""_s, .mode = u"From key"_s}
                                  << WatchSpec{.key = "", .rangeEnd = "\0"s};
        QTest::newRow("range end typed, then key mode")
            << FormEntry{.key = u"a"_s, .mode = u"Key"_s, .rangeEnd = u"z"_s} << WatchSpec{.key = "a", .rangeEnd = ""};
        QTest::newRow("at revision with options")
            << FormEntry{.key = u"cfg"_s, .revision = u"1200"_s, .prevKv = true, .progress = true,
                         .noDelete = true}
            << WatchSpec{.key = "cfg", .rangeEnd = "", .startRevision = 1200, .prevKv = true, .progressNotify = true,
                         .noDelete = true};
        QTest::newRow("revision with spaces, no puts")
            << FormEntry{.key = u"cfg"_s, .revision = u" 42 "_s, .noPut = true}
            << WatchSpec{.key = "cfg", .rangeEnd = "", .startRevision = 42, .noPut = true};
    }
    void shouldBuildTheSpecForEachMode()
    {
        QFETCH(FormEntry, entry);
        QFETCH(WatchSpec, expected);

        // Given
        AddWatchDialog dialog;
        // When
        fill(dialog, entry);
        // Then
        QVERIFY2(okButton(dialog)->isEnabled(), qPrintable(dialog.errorText()));
        QCOMPARE(dialog.spec(), expected);
    }

    void shouldStartNowUnlessAtRevisionIsChosen()
    {
        // Given a revision typed while "Now" stays chosen
        AddWatchDialog dialog;
        findNamed<QLineEdit>(dialog, "keyEdit")->setText(u"cfg"_s);
        findNamed<QLineEdit>(dialog, "revisionEdit")->setText(u"1200"_s);

        // Then the watch starts now
        const WatchSpec expected{.key = "cfg", .rangeEnd = "", .startRevision = 0};
        QCOMPARE(dialog.spec(), expected);
    }

    void shouldReportNotifyOutsideTheSpec()
    {
        // Given
        AddWatchDialog dialog;
        findNamed<QLineEdit>(dialog, "keyEdit")->setText(u"cfg"_s);
        QVERIFY(!dialog.notifyOnChange());

        // When
        findNamed<QCheckBox>(dialog, "notifyCheck")->setChecked(true);

        // Then
        QVERIFY(dialog.notifyOnChange());
        const WatchSpec expected{.key = "cfg", .rangeEnd = ""};
        QCOMPARE(dialog.spec(), expected);
    }

    void shouldFillTheFieldsFromAPreset_data()
    {
        QTest::addColumn<QByteArray>("key");
        QTest::addColumn<int>("mode");
        QTest::addColumn<QString>("keyText");
        QTest::addColumn<QString>("modeText");

        QTest::newRow("key") << QByteArray("cfg/a") << int(AddWatchDialog::KeyMode) << u"cfg/a"_s << u"Key"_s;
        QTest::newRow("prefix") << QByteArray("services/") << int(AddWatchDialog::PrefixMode)
                                << u"services/"_s << u"Prefix"_s;
        QTest::newRow("binary key") << QByteArray("a\xff\0b", 4) << int(AddWatchDialog::KeyMode)
                                    << u"a\\xff\\x00b"_s << u"Key"_s;
        QTest::newRow("backslash") << QByteArray("dir\\name") << int(AddWatchDialog::FromKeyMode)
                                   << u"dir\\\\name"_s << u"From key"_s;
        QTest::newRow("utf-8 text") << QByteArray("clé/日本/") << int(AddWatchDialog::PrefixMode)
                                    << u"clé/日本/"_s << u"Prefix"_s;
    }
    void shouldFillTheFieldsFromAPreset()
    {
        QFETCH(QByteArray, key);
        QFETCH(int, mode);
        QFETCH(QString, keyText);
        QFETCH(QString, modeText);

        // Given
        AddWatchDialog dialog;
        // When
        dialog.preset(key, static_cast<AddWatchDialog::Mode>(mode));
        // Then
        QCOMPARE(findNamed<QLineEdit>(dialog, "keyEdit")->text(), keyText);
        QCOMPARE(findNamed<QComboBox>(dialog, "modeCombo")->currentText(), modeText);
        QCOMPARE(QByteArray::fromStdString(dialog.spec().key), key);
        QVERIFY2(okButton(dialog)->isEnabled(), qPrintable(dialog.errorText()));
    }

    void shouldAcceptWithEnterOnlyWhenTheInputIsValid_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<bool>("accepted");
        QTest::newRow("empty key") << QString() << false;
        QTest::newRow("valid key") << u"cfg"_s << true;
    }
    void shouldAcceptWithEnterOnlyWhenTheInputIsValid()
    {
        QFETCH(QString, key);
        QFETCH(bool, accepted);

        // Given
        AddWatchDialog dialog;
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        auto* keyEdit = findNamed<QLineEdit>(dialog, "keyEdit");
        QTest::keyClicks(keyEdit, key);

        // When
        QTest::keyClick(keyEdit, Qt::Key_Return);

        // Then
        QCOMPARE(dialog.result(), accepted ? int(QDialog::Accepted) : int(QDialog::Rejected));
        QCOMPARE(dialog.isVisible(), !accepted);
    }

    void shouldRefuseToAcceptInvalidInput()
    {
        // Given an invalid form
        AddWatchDialog dialog;
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));

        // When something accepts the dialog other than the disabled OK button
        dialog.accept();

        // Then
        QCOMPARE(dialog.result(), int(QDialog::Rejected));
        QVERIFY(dialog.isVisible());
    }

    void shouldGiveEveryInputAMnemonic_data()
    {
        QTest::addColumn<QString>("name");
        for (const char* name : {"keyEdit", "modeCombo", "rangeEndEdit", "nowRadio", "atRevisionRadio",
                                 "prevKvCheck", "noPutCheck", "noDeleteCheck", "progressCheck",
                                 "notifyCheck"})
            QTest::newRow(name) << QString::fromLatin1(name);
    }
    void shouldGiveEveryInputAMnemonic()
    {
        QFETCH(QString, name);
        AddWatchDialog dialog;
        auto* input = dialog.findChild<QWidget*>(name);
        QVERIFY(input);
        QVERIFY2(!mnemonicOf(mnemonicTextFor(dialog, input)).isNull(),
                 qPrintable(mnemonicTextFor(dialog, input)));
    }

    void shouldUseEachMnemonicOnce()
    {
        AddWatchDialog dialog;
        QStringList texts;
        for (QLabel* label : dialog.findChildren<QLabel*>())
            texts << label->text();
        for (QAbstractButton* button : dialog.findChildren<QAbstractButton*>())
            texts << button->text();

        QSet<QChar> seen;
        for (const QString& text : std::as_const(texts)) {
            const QChar mnemonic = mnemonicOf(text);
            if (mnemonic.isNull())
                continue;
            QVERIFY2(!seen.contains(mnemonic), qPrintable(u"duplicate mnemonic in "_s + text));
            seen.insert(mnemonic);
        }
    }

    void shouldTabThroughTheFormInReadingOrder()
    {
        AddWatchDialog dialog;
        const QStringList expected = {u"keyEdit"_s,       u"modeCombo"_s,   u"rangeEndEdit"_s,
                                      u"nowRadio"_s,      u"atRevisionRadio"_s, u"revisionEdit"_s,
                                      u"prevKvCheck"_s,   u"noPutCheck"_s,  u"noDeleteCheck"_s,
                                      u"progressCheck"_s, u"notifyCheck"_s};
        // When following the focus chain from the key
        QStringList order;
        QWidget* widget = findNamed<QLineEdit>(dialog, "keyEdit");
        for (int step = 0; step < kMaxFocusChainSteps && order.size() < expected.size(); ++step) {
            if (expected.contains(widget->objectName()))
                order << widget->objectName();
            widget = widget->nextInFocusChain();
        }
        // Then
        QCOMPARE(order, expected);
    }

    void shouldShowErrorsInARedThatContrastsWithTheWindow_data()
    {
        QTest::addColumn<QColor>("window");
        QTest::addColumn<QColor>("text");
        QTest::newRow("light") << QColor(0xff, 0xff, 0xff) << QColor(0x00, 0x00, 0x00);
        QTest::newRow("light grey") << QColor(0xef, 0xef, 0xef) << QColor(0x00, 0x00, 0x00);
        QTest::newRow("dark") << QColor(0x20, 0x20, 0x20) << QColor(0xff, 0xff, 0xff);
        QTest::newRow("dark grey") << QColor(0x35, 0x35, 0x35) << QColor(0xff, 0xff, 0xff);
    }
    void shouldShowErrorsInARedThatContrastsWithTheWindow()
    {
        QFETCH(QColor, window);
        QFETCH(QColor, text);

        // Given a theme
        QPalette palette;
        palette.setColor(QPalette::Window, window);
        palette.setColor(QPalette::WindowText, text);
        AddWatchDialog dialog;

        // When it is applied
        dialog.setPalette(palette);

        // Then the error text is a readable red
        const QColor error = findNamed<QLabel>(dialog, "errorLabel")->palette().color(QPalette::WindowText);
        const QString shown = error.name();
        QVERIFY2(contrastRatio(error, window) >= kWcagMinimumTextContrast, qPrintable(shown));
        const int hue = error.hslHue();
        QVERIFY2(hue >= 0 && (hue <= kMaxRedHueDistanceDeg || hue >= kFullCircleDeg - kMaxRedHueDistanceDeg),
                 qPrintable(shown));
        QVERIFY2(error.hslSaturationF() >= kMinimumErrorSaturation, qPrintable(shown));
    }

    // Not a check of behaviour: leaves a picture of the dialog (with an error
    // showing) for a person to look at.
    // Also saves the screenshot for the README (add-watch-dialog.png).
    void shouldRenderTheFilledFormForTheScreenshot()
    {
        AddWatchDialog dialog;
        dialog.preset("services/api/", AddWatchDialog::RangeMode);
        findNamed<QLineEdit>(dialog, "rangeEndEdit")->setText(u"services/"_s);
        findNamed<QRadioButton>(dialog, "atRevisionRadio")->setChecked(true);
        findNamed<QLineEdit>(dialog, "revisionEdit")->setText(u"1200"_s);
        findNamed<QCheckBox>(dialog, "prevKvCheck")->setChecked(true);
        findNamed<QCheckBox>(dialog, "notifyCheck")->setChecked(true);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));

        const QPixmap shot = dialog.grab();
        const QString path = QDir::temp().filePath(u"add-watch-dialog.png"_s);

        // Then the picture shows the inline error of the range end (it sorts
        // before the key), and it is the whole dialog with something drawn on
        // it (not one flat colour, as without fonts or paint)
        QVERIFY2(dialog.errorText().contains("must sort after the key"), qPrintable(dialog.errorText()));
        QVERIFY(!shot.isNull());
        QCOMPARE(shot.size(), dialog.size() * shot.devicePixelRatio());
        const QImage image = shot.toImage();
        QSet<QRgb> colours;
        for (int y = 0; y < image.height(); y += 2)
            for (int x = 0; x < image.width(); x += 2)
                colours.insert(image.pixel(x, y));
        QVERIFY2(colours.size() > 16, qPrintable(QString::number(colours.size())));
        QVERIFY2(shot.save(path), qPrintable(path));
        qInfo("dialog screenshot: %s", qPrintable(path));
    }
};

QTEST_MAIN(TestAddWatchDialog)
#include "tst_add_watch_dialog.moc"
