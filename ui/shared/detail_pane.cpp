#include "shared/detail_pane.h"

#include "decode/kubernetes_value.h"
#include "decode/value_text.h"
#include "decode/kubernetes/object_changes.h"
#include "decode/yaml_value.h"
#include "format/event_format.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QFontDatabase>
#include <QJsonDocument>
#include <QLabel>
#include <QPlainTextEdit>
#include <QTabWidget>
#include <QTextEdit>
#include <QVBoxLayout>


namespace etcdscope::ui {

namespace {

constexpr int kHexDumpMaxBytes = 64 * 1024;
constexpr int kBytesPerHexLine = 16;

QPlainTextEdit* makeReadOnlyText()
{
    auto* edit = new QPlainTextEdit;
    edit->setReadOnly(true);
    edit->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    edit->setLineWrapMode(QPlainTextEdit::NoWrap);
    return edit;
}

}  // namespace

DetailPane::DetailPane(QWidget* parent)
    : QWidget(parent)
    , header_(new QLabel)
    , tabs_(new QTabWidget)
    , text_(makeReadOnlyText())
    , json_(makeReadOnlyText())
    , yaml_(makeReadOnlyText())
    , hex_(makeReadOnlyText())
    , diff_(new QTextEdit)
{
    header_->setObjectName("detailHeader");
    text_->setObjectName("detailText");
    json_->setObjectName("detailJson");
    yaml_->setObjectName("detailYaml");
    hex_->setObjectName("detailHex");
    tabs_->setObjectName("detailTabs");
    header_->setTextFormat(Qt::RichText);
    header_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // Two fixed lines; a word-wrapped rich label gets a one-line height here.
    header_->setWordWrap(false);
    header_->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
    diff_->setObjectName("detailDiff");
    diff_->setReadOnly(true);
    diff_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    diff_->setLineWrapMode(QTextEdit::NoWrap);
    tabs_->addTab(text_, tr("&Text"));
    tabs_->addTab(json_, tr("&JSON"));
    tabs_->addTab(yaml_, tr("&YAML"));
    tabs_->addTab(hex_, tr("He&x"));
    tabs_->addTab(diff_, tr("&Diff"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(header_);
    layout->addWidget(tabs_, 1);
    clear();
}

void DetailPane::clearTabs()
{
    text_->clear();
    json_->clear();
    yaml_->clear();
    hex_->clear();
    diff_->clear();
}

void DetailPane::clear()
{
    header_->setText(tr("<i>Select an event to see its value in full.</i>"));
    clearTabs();
}

std::optional<QString> DetailPane::readableJson(const QByteArray& value, const QByteArray& key)
{
    if (const auto k8s = decodeKubernetesValue(value, true, key); k8s && k8s->bySchema())
        return k8s->json;
    return prettyJson(value);
}

std::optional<QString> DetailPane::showValue(const QByteArray& value, const QByteArray& key)
{
    if (const auto k8s = decodeKubernetesValue(value, true, key)) {
        hex_->setPlainText(hexDump(value, kHexDumpMaxBytes));
        if (!k8s->encryption.isEmpty() && !k8s->decrypted) {
            // Encrypted at rest, and not decrypted: named, with why not.
            text_->setPlainText(tr("Kubernetes value, %1 bytes, %2.\n\n%3").arg(value.size()).arg(k8s->encryption, k8s->problem));
            json_->setPlainText(tr("(encrypted at rest; see the Text tab)"));
            yaml_->setPlainText(tr("(encrypted at rest; see the Text tab)"));
            return std::nullopt;
        }
        const QString stored = (k8s->decrypted ? tr("%1 bytes %2, decrypted").arg(value.size()).arg(k8s->encryption)
                                               : tr("Kubernetes protobuf, %1 bytes").arg(value.size())) +
                               (k8s->contentType.isEmpty() ? QString() : ", content type " + k8s->contentType);
        if (k8s->bySchema()) {
            // Decoded by its schema: the object as Kubernetes writes it.
            text_->setPlainText(tr("%1 %2 (%3, decoded by its schema)\n\n%4")
                                    .arg(k8s->apiVersion, k8s->kind, stored, k8s->json));
            json_->setPlainText(k8s->json);
            const auto yaml = yamlView(k8s->json.toUtf8());
            yaml_->setPlainText(std::holds_alternative<YamlText>(yaml) ? std::get<YamlText>(yaml).text
                                                                       : "(" + std::get<NotYaml>(yaml).reason + ")");
            return k8s->json;
        }
        // No schema for this kind: readable fields instead of bytes.
        text_->setPlainText(tr("apiVersion: %1\nkind: %2\n(%3. %4 Decoded without the schema: metadata by name, other "
                               "fields by number, messages in braces.)\n\n%5")
                                .arg(k8s->apiVersion, k8s->kind, stored, k8s->problem, k8s->fields));
        json_->setPlainText(tr("(a Kubernetes protobuf value without a known schema; its fields are on the Text tab)"));
        yaml_->setPlainText(tr("(a Kubernetes protobuf value without a known schema; its fields are on the Text tab)"));
        return std::nullopt;
    }
    text_->setPlainText(textOrBinaryNotice(value));
    const auto json = prettyJson(value);
    json_->setPlainText(json ? *json : tr("(not a JSON document)"));
    const auto yaml = yamlView(value);
    if (const auto* text = std::get_if<YamlText>(&yaml))
        yaml_->setPlainText(text->text);
    else
        yaml_->setPlainText("(" + std::get<NotYaml>(yaml).reason + ")");
    hex_->setPlainText(hexDump(value, kHexDumpMaxBytes));
    return json;
}

void DetailPane::showKeyValue(const QByteArray& key, const QByteArray& value, qint64 modRevision,
                              qint64 createRevision, qint64 version, qint64 lease, qint64 asOfRevision)
{
    header_->setText(tr("<b>%1</b><br>modified at revision %2 · created at %3 · version %4 · lease %5 · %6 bytes · "
                        "%7")
                         .arg(valuePreview(key, 300).toHtmlEscaped())
                         .arg(modRevision)
                         .arg(createRevision)
                         .arg(version)
                         .arg(lease ? QString::number(quint64(lease), 16) : QStringLiteral("none"))
                         .arg(value.size())
                         .arg(asOfRevision > 0 ? tr("as of revision %1").arg(asOfRevision) : tr("newest")));
    showValue(value, key);
    diff_->setPlainText(version > 1 ? tr("(reading the version before…)") : tr("(the key's first version: nothing before it)"));
}

void DetailPane::showMessage(const QString& sentence)
{
    header_->setText(sentence.toHtmlEscaped());
    clearTabs();
}

QString gapMayLackDeletesSentence(const EventRecord& gap)
{
    if (gap.kind != RecordKind::Gap || gap.gapMayLackDeletesAt == 0)
        return {};
    return QCoreApplication::translate("DetailPane",
                                       "Revision %1 follows as etcd serves it, but this etcd may leave out the "
                                       "DELETEs made at it (etcd issue 18089, fixed in 3.4.34 and 3.5.16).")
        .arg(gap.gapMayLackDeletesAt);
}

void DetailPane::showRecord(const EventRecord& r, const QString& watchLabel)
{
    const QString when = QDateTime::fromMSecsSinceEpoch(r.receivedMs).toString("yyyy-MM-dd hh:mm:ss.zzz");
    if (r.kind == RecordKind::Gap || r.kind == RecordKind::Note) {
        header_->setText(r.kind == RecordKind::Gap
                             ? tr("<b>Compaction gap</b> in %1: revisions %2 to %3 were compacted before they "
                                  "could be watched. Received %4.%5")
                                   .arg(watchLabel.toHtmlEscaped())
                                   .arg(r.gapFrom)
                                   .arg(r.gapTo)
                                   .arg(when, r.gapMayLackDeletesAt != 0
                                                  ? "<br>" + gapMayLackDeletesSentence(r).toHtmlEscaped()
                                                  : QString())
                             : tr("<b>%1</b> — %2").arg(r.note.toHtmlEscaped(), when));
        clearTabs();
        return;
    }
    header_->setText(tr("<b>%1</b> %2<br>revision %3 · created at %4 · version %5 · lease %6 · %7 bytes · "
                        "watch %8 · received %9")
                         .arg(r.kind == RecordKind::Put ? "PUT" : "DELETE",
                              valuePreview(r.key, 300).toHtmlEscaped())
                         .arg(r.modRevision)
                         .arg(r.createRevision)
                         .arg(r.version)
                         .arg(r.lease ? QString::number(quint64(r.lease), 16) : QStringLiteral("none"))
                         .arg(r.value.size())
                         .arg(watchLabel.toHtmlEscaped(), when));
    const auto json = showValue(r.value, r.key);

    if (!r.hasPrevValue) {
        diff_->setPlainText(tr("(no previous value: the watch does not ask for prev-kv, or the key is new)"));
        return;
    }
    showDiff(r.key, r.prevValue, r.value, json);
}

void DetailPane::showDiffMessage(const QString& sentence) { diff_->setPlainText(sentence); }

void DetailPane::showPreviousVersion(const QByteArray& key, const QByteArray& previous, const QByteArray& value)
{
    showDiff(key, previous, value, readableJson(value, key));
}

void DetailPane::showDiff(const QByteArray& key, const QByteArray& previous, const QByteArray& value,
                          const std::optional<QString>& json)
{
    // Diff pretty JSON when both sides are JSON (or Kubernetes objects), so reformatting is not noise.
    // A delete (no value) diffs the readable previous value against nothing.
    const auto prevJson = readableJson(previous, key);
    const bool readable = prevJson && (json || value.isEmpty());
    const QString before = readable ? *prevJson : textOrBinaryNotice(previous);
    const QString after = value.isEmpty() ? QString() : readable ? *json : textOrBinaryNotice(value);
    const auto lines = diffLines(before, after);
    if (!lines) {
        diff_->setPlainText(tr("(values too large to diff here)"));
        return;
    }
    QString html = "<pre style='margin:0'>";
    if (decodeKubernetesValue(value, false) && prevJson && json) {
        // Two versions of a Kubernetes object: the fields that mean something, and who owns them.
        const auto before = nlohmann::ordered_json::parse(prevJson->toStdString(), nullptr, false);
        const auto after = nlohmann::ordered_json::parse(json->toStdString(), nullptr, false);
        if (before.is_object() && after.is_object()) {
            const QString summary =
                QString::fromStdString(kubernetes::describeChanges(kubernetes::objectChanges(before, after)));
            html += "<b>" + tr("What changed (resourceVersion and managedFields left out):") + "</b>\n" +
                    (summary.isEmpty() ? tr("nothing\n") : summary.toHtmlEscaped()) + "\n";
        }
    }
    for (const DiffLine& line : *lines) {
        const QString text = line.text.toHtmlEscaped();
        switch (line.kind) {
        case DiffLine::Kind::Same: html += "  " + text + "\n"; break;
        case DiffLine::Kind::Removed:
            html += "<span style='background-color:rgba(220,60,60,0.25)'>- " + text + "</span>\n";
            break;
        case DiffLine::Kind::Added:
            html += "<span style='background-color:rgba(60,180,90,0.25)'>+ " + text + "</span>\n";
            break;
        }
    }
    html += "</pre>";
    diff_->setHtml(html);
}

}  // namespace etcdscope::ui
