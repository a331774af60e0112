#include "monitor/history_window.h"

#include "decode/value_text.h"
#include "insight/census_model.h"
#include "insight/churn_view.h"
#include "monitor/event_timeline_model.h"
#include "recording/event_store.h"
#include "shared/confirm_change.h"
#include "shared/detail_pane.h"
#include "shared/pooled_task.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QIntValidator>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTableView>
#include <QUrl>
#include <QVBoxLayout>

namespace etcdscope::ui {

namespace {

// A window shows at most this many versions (the CLI's history has them all).
constexpr int kMaxRows = 100'000;

enum Mode { AllVersions = 0, DeletedKeys = 1, Churn = 2 };
enum ResultsPage { VersionsPage = 0, ChurnPage = 1 };

// The churn's spans offered, in seconds (0: the whole recording).
constexpr qint64 kChurnSpans[] = {0, 3600, 24 * 3600, 7 * 24 * 3600};

// A confirmation lists at most this many changes (and says how many more).
constexpr int kMaxConfirmLines = 40;
constexpr int kPreviewChars = 60;

QString shownKey(const std::string& key) { return escapeKey(QByteArray::fromStdString(key)); }

QString shortValue(const KeyValue& kv)
{
    return valuePreview(QByteArray::fromStdString(kv.key), QByteArray::fromStdString(kv.value), kPreviewChars);
}

QString counted(int n, const QString& one, const QString& many)
{
    return QStringLiteral("%1 %2").arg(n).arg(n == 1 ? one : many);
}

// The confirmation of `plan`: a question, then each write as removed ("- ")
// and added ("+ ") lines, then what is left alone.
QString confirmationText(const RestorePlan& plan, const QString& range, const QString& cluster)
{
    QString text = QObject::tr("Put %1 back as it was at revision %2 on %3?")
                       .arg(range)
                       .arg(plan.asOf)
                       .arg(cluster);
    text += QStringLiteral("\n\n")
        + QObject::tr("%1, each made only if the key is still as it was read at revision %2; a key changed "
                      "meanwhile is left alone.")
              .arg(counted(plan.writes(), QObject::tr("change"), QObject::tr("changes")))
              .arg(plan.readAt);
    QStringList lines;
    int shown = 0;
    for (const RestoreStep& step : plan.steps) {
        if (!step.writes())
            continue;
        if (++shown > kMaxConfirmLines)
            continue;
        switch (step.action) {
        case RestoreAction::Restore:
            lines << QStringLiteral("+ %1 = %2").arg(shownKey(step.then.key), shortValue(step.then))
                         + QObject::tr("   (absent now)");
            break;
        case RestoreAction::PutBack:
            lines << QStringLiteral("- %1 = %2").arg(shownKey(step.now.key), shortValue(step.now))
                         + QObject::tr("   (changed at revision %1)").arg(step.now.modRevision);
            lines << QStringLiteral("+ %1 = %2").arg(shownKey(step.then.key), shortValue(step.then));
            break;
        case RestoreAction::Remove:
            lines << QStringLiteral("- %1 = %2").arg(shownKey(step.now.key), shortValue(step.now))
                         + QObject::tr("   (created at revision %1: deleted)").arg(step.now.createRevision);
            break;
        default: break;
        }
    }
    text += QStringLiteral("\n\n") + lines.join('\n');
    if (shown > kMaxConfirmLines)
        text += QStringLiteral("\n\n") + QObject::tr("… and %1 more.").arg(shown - kMaxConfirmLines);
    if (plan.kept() > 0) {
        QStringList kept;
        for (const RestoreStep& step : plan.steps) {
            if (!step.writes() && kept.size() < 5)
                kept << shownKey(step.key());
        }
        if (plan.kept() > kept.size())
            kept << QObject::tr("…");
        text += QStringLiteral("\n\n")
            + QObject::tr("Left alone: %1 changed or created since revision %2 (%3). Tick “Also undo later changes” "
                          "to put them back as well.")
                  .arg(counted(plan.kept(), QObject::tr("key"), QObject::tr("keys")))
                  .arg(plan.asOf)
                  .arg(kept.join(QStringLiteral(", ")));
    }
    return text;
}

}  // namespace

HistoryWindow::HistoryWindow(QString location, QWidget* parent)
    : QMainWindow(parent)
    , location_(std::move(location))
{
    setObjectName("historyWindow");
    setAttribute(Qt::WA_DeleteOnClose);
    logName_ = EventStore::isDatabaseUrl(location_) ? QUrl(location_).toString(QUrl::RemovePassword)
                                                    : QFileInfo(location_).fileName();
    setWindowTitle(tr("%1 — history").arg(logName_));

    key_ = new QLineEdit;
    key_->setObjectName("historyKey");
    key_->setPlaceholderText(tr("Key, or the start of keys (\\xNN for other bytes)"));
    prefix_ = new QCheckBox(tr("&Prefix"));
    prefix_->setObjectName("historyPrefix");
    prefix_->setChecked(true);
    mode_ = new QComboBox;
    mode_->setObjectName("historyMode");
    mode_->addItem(tr("Every version"));
    mode_->addItem(tr("Deleted keys"));
    mode_->addItem(tr("Who wrote it (churn)"));
    mode_->setToolTip(tr("Every recorded version, the keys deleted and not written again, or the changes counted "
                         "per group of keys"));
    grep_ = new QLineEdit;
    grep_->setObjectName("historyGrep");
    grep_->setPlaceholderText(tr("Value contains…"));
    grep_->setClearButtonEnabled(true);
    show_ = new QPushButton(tr("&Show"));
    show_->setObjectName("historyShow");
    show_->setDefault(true);
    churnGrouping_ = new QComboBox;
    churnGrouping_->setObjectName("historyChurnGrouping");
    churnGrouping_->addItem(tr("Kubernetes resource"), int(ChurnGrouping::KubernetesResource));
    churnGrouping_->addItem(tr("resource and namespace"), int(ChurnGrouping::KubernetesNamespace));
    churnGrouping_->addItem(tr("key prefix"), int(ChurnGrouping::Depth));
    churnGrouping_->setToolTip(tr("Keys outside /registry/ are grouped by prefix, at the depth beside"));
    churnDepth_ = new QSpinBox;
    churnDepth_->setObjectName("historyChurnDepth");
    churnDepth_->setRange(1, 1000);
    churnDepth_->setValue(2);
    churnDepth_->setPrefix(tr("depth "));
    churnDepth_->setToolTip(tr("A prefix group is a key up to and including its N-th '/'"));
    churnSpan_ = new QComboBox;
    churnSpan_->setObjectName("historyChurnSpan");
    for (const qint64 seconds : kChurnSpans) {
        churnSpan_->addItem(seconds == 0 ? tr("over the whole recording")
                                : seconds == 3600 ? tr("over the last hour")
                                : seconds == 24 * 3600 ? tr("over the last day")
                                                       : tr("over the last 7 days"),
                            seconds);
    }
    churnControls_ = new QWidget;
    auto* churnRow = new QHBoxLayout(churnControls_);
    churnRow->setContentsMargins(0, 0, 0, 0);
    churnRow->addWidget(new QLabel(tr("per")));
    churnRow->addWidget(churnGrouping_);
    churnRow->addWidget(churnDepth_);
    churnRow->addWidget(churnSpan_);
    auto* form = new QHBoxLayout;
    form->addWidget(new QLabel(tr("Key:")));
    form->addWidget(key_, 3);
    form->addWidget(prefix_);
    form->addWidget(mode_);
    form->addWidget(churnControls_);
    form->addWidget(grep_, 2);
    form->addWidget(show_);

    model_ = new EventTimelineModel(this);
    model_->setMaxRows(kMaxRows);
    model_->setWatchLabel(1, tr("history"));
    view_ = new QTableView;
    view_->setObjectName("historyTable");
    view_->setModel(model_);
    configureTimelineView(view_);
    view_->hideColumn(EventTimelineModel::WatchColumn);
    // Keys under one prefix differ at their ends.
    view_->setTextElideMode(Qt::ElideMiddle);
    view_->setColumnWidth(EventTimelineModel::TimeColumn, 140);
    view_->setColumnWidth(EventTimelineModel::KeyColumn, 300);
    detail_ = new DetailPane;
    auto* splitter = new QSplitter(Qt::Horizontal);
    splitter->addWidget(view_);
    splitter->addWidget(detail_);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    splitter->setSizes({760, 500});

    churnModel_ = new ChurnModel(this);
    churnTable_ = new QTableView;
    churnTable_->setObjectName("historyChurnTable");
    configureGroupTable(churnTable_, churnModel_, ChurnModel::GroupColumn, ChurnModel::EventsRateColumn);
    churnTable_->setColumnWidth(ChurnModel::EventsRateColumn, 200);
    for (const int column : {ChurnModel::BytesRateColumn, ChurnModel::RevisionsRateColumn, ChurnModel::EventsColumn,
                             ChurnModel::DeletesColumn})
        churnTable_->setColumnWidth(column, 100);
    churnTable_->setToolTip(tr("Double-click a group to see its every version"));
    results_ = new QStackedWidget;
    results_->addWidget(splitter);     // VersionsPage
    results_->addWidget(churnTable_);  // ChurnPage

    restoreRevision_ = new QLineEdit;
    restoreRevision_->setObjectName("restoreRevision");
    restoreRevision_->setPlaceholderText(tr("revision"));
    restoreRevision_->setValidator(new QIntValidator(1, INT_MAX, restoreRevision_));
    restoreRevision_->setMaximumWidth(110);
    restoreRevision_->setToolTip(tr("Selecting a version fills in its revision (for a delete, the one just before)"));
    overwrite_ = new QCheckBox(tr("Also &undo later changes"));
    overwrite_->setObjectName("restoreOverwrite");
    overwrite_->setToolTip(tr("Also put back keys changed since, and delete keys created since"));
    restore_ = new QPushButton(tr("&Restore…"));
    restore_->setObjectName("restoreButton");
    restoreHint_ = new QLabel;
    restoreHint_->setObjectName("restoreHint");
    restoreHint_->setEnabled(false);  // drawn in the muted text colour
    auto* restoreRow = new QHBoxLayout;
    restoreRow->addWidget(new QLabel(tr("Put the key or range back as it was at revision")));
    restoreRow->addWidget(restoreRevision_);
    restoreRow->addWidget(overwrite_);
    restoreRow->addWidget(restore_);
    restoreRow->addWidget(restoreHint_, 1);

    status_ = new QLabel(tr("Give a key or a prefix and press Show."));
    status_->setObjectName("historyStatus");
    status_->setWordWrap(true);
    auto* central = new QWidget;
    auto* layout = new QVBoxLayout(central);
    layout->addLayout(form);
    layout->addLayout(restoreRow);
    layout->addWidget(status_);
    layout->addWidget(results_, 1);
    setCentralWidget(central);

    connect(show_, &QPushButton::clicked, this, &HistoryWindow::runQuery);
    connect(key_, &QLineEdit::returnPressed, this, &HistoryWindow::runQuery);
    connect(grep_, &QLineEdit::returnPressed, this, &HistoryWindow::runQuery);
    connect(&watcher_, &QFutureWatcher<Answer>::finished, this, &HistoryWindow::showAnswer);
    connect(mode_, &QComboBox::currentIndexChanged, this, &HistoryWindow::updateModeControls);
    // Another grouping or span counts again what is shown.
    const auto recount = [this] {
        if (mode_->currentIndex() == Churn && results_->currentIndex() == ChurnPage && churnModel_->rowCount() > 0)
            runQuery();
    };
    connect(churnGrouping_, &QComboBox::currentIndexChanged, this, recount);
    connect(churnDepth_, &QSpinBox::valueChanged, this, recount);
    connect(churnSpan_, &QComboBox::currentIndexChanged, this, recount);
    // Drilling in: a group's every version.
    connect(churnTable_, &QTableView::doubleClicked, this, [this](const QModelIndex& index) {
        if (!index.isValid() || std::size_t(index.row()) >= churnModel_->groups().size())
            return;
        setQuery(escapeKey(QByteArray::fromStdString(churnModel_->groups()[std::size_t(index.row())].prefix)), true,
                 false, QString());
        runQuery();
    });
    connect(view_->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex& current) {
        if (!current.isValid())
            return;
        const EventRecord& r = model_->record(current.row());
        if (r.kind == RecordKind::Put && r.note.isEmpty())
            restoreRevision_->setText(QString::number(r.modRevision));
        else if (r.kind == RecordKind::Delete && r.modRevision > 1)
            restoreRevision_->setText(QString::number(r.modRevision - 1));
        if (r.kind == RecordKind::Gap) {
            detail_->showMessage(tr("Revisions %1 to %2 were %3: what changed then is not known. %4")
                                     .arg(r.gapFrom)
                                     .arg(r.gapTo)
                                     .arg(r.note.isEmpty() ? tr("compacted before the recording saw them") : r.note,
                                          gapMayLackDeletesSentence(r)));
            return;
        }
        detail_->showRecord(r, r.note.isEmpty() ? logName_ : r.note);
    });
    view_->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(view_, &QWidget::customContextMenuRequested, this, [this](const QPoint& at) {
        const QModelIndex index = view_->indexAt(at);
        if (!index.isValid())
            return;
        selectRow(index.row());
        const qint64 revision = restoreRevision_->text().toLongLong();
        if (revision <= 0)
            return;
        QMenu menu;
        QAction* restore = menu.addAction(tr("Restore as it was at revision %1…").arg(revision));
        restore->setEnabled(restore_->isEnabled());
        if (menu.exec(view_->viewport()->mapToGlobal(at)) == restore)
            restoreAsOf(revision, overwrite_->isChecked());
    });
    connect(restore_, &QPushButton::clicked, this, [this] {
        restoreAsOf(restoreRevision_->text().toLongLong(), overwrite_->isChecked());
    });
    connect(&planWatcher_, &QFutureWatcher<RestorePlan>::finished, this, &HistoryWindow::confirmRestore);
    connect(&applyWatcher_, &QFutureWatcher<RestoreOutcome>::finished, this, &HistoryWindow::showRestoreOutcome);
    updateRestoreControls();
    updateModeControls();
    resize(1280, 780);
}

// A query still running finishes on its own: it holds copies of what it
// needs, never the window, and the window does not wait on it.
HistoryWindow::~HistoryWindow() = default;

void HistoryWindow::setQuery(const QString& key, bool prefix, bool deletedOnly, const QString& grep)
{
    key_->setText(key);
    prefix_->setChecked(prefix);
    mode_->setCurrentIndex(deletedOnly ? DeletedKeys : AllVersions);
    grep_->setText(grep);
}

void HistoryWindow::setChurnQuery(const QString& key, bool prefix, ChurnGrouping grouping, int depth, qint64 seconds)
{
    key_->setText(key);
    prefix_->setChecked(prefix);
    const QSignalBlocker groupingBlocker(churnGrouping_);
    const QSignalBlocker depthBlocker(churnDepth_);
    const QSignalBlocker spanBlocker(churnSpan_);
    churnGrouping_->setCurrentIndex(std::max(0, churnGrouping_->findData(int(grouping))));
    churnDepth_->setValue(depth);
    churnSpan_->setCurrentIndex(std::max(0, churnSpan_->findData(seconds)));
    mode_->setCurrentIndex(Churn);
}

void HistoryWindow::updateModeControls()
{
    const bool churn = mode_->currentIndex() == Churn;
    churnControls_->setVisible(churn);
    grep_->setVisible(!churn);
    results_->setCurrentIndex(churn ? ChurnPage : VersionsPage);
}

std::optional<WatchSpec> HistoryWindow::formRange()
{
    const std::optional<QByteArray> key = unescapeKey(key_->text());
    if (!key) {
        status_->setText(tr("The key has a malformed escape: write other bytes as \\xNN and a backslash as \\\\."));
        return std::nullopt;
    }
    if (key->isEmpty() && !prefix_->isChecked()) {
        status_->setText(tr("Give a key, or tick Prefix to see every key."));
        return std::nullopt;
    }
    WatchSpec range;
    range.key = key->toStdString();
    range.rangeEnd = prefix_->isChecked() ? prefixRangeEnd(range.key) : std::string();
    return range;
}

void HistoryWindow::runQuery()
{
    const std::optional<WatchSpec> range = formRange();
    if (!range) {
        emit resultsShown(-1);
        return;
    }
    if (watcher_.isRunning())
        return;  // one query at a time; the button shows it
    HistoryQuery query;
    query.range = *range;
    const bool churn = mode_->currentIndex() == Churn;
    query.deletedOnly = mode_->currentIndex() == DeletedKeys;
    query.grep = churn ? QByteArray() : grep_->text().toUtf8();
    const auto grouping = ChurnGrouping(churnGrouping_->currentData().toInt());
    const int depth = churnDepth_->value();
    const qint64 spanSeconds = churnSpan_->currentData().toLongLong();
    const qint64 sinceMs = churn && spanSeconds > 0 ? QDateTime::currentMSecsSinceEpoch() - spanSeconds * 1000 : 0;
    show_->setEnabled(false);
    status_->setText(churn ? tr("Counting who wrote %1 over the recording…").arg(describeSpec(query.range))
                           : tr("Reading the history of %1…").arg(describeSpec(query.range)));
    // A connection of its own on a pooled thread: a store belongs to the thread that opened it.
    watcher_.setFuture(runPooled([location = location_, query, churn, grouping, depth, sinceMs] {
        Answer answer;
        auto store = EventStore::open(location, &answer.error);
        if (!store)
            return answer;
        auto history = recordedHistory(*store, query, &answer.error);
        if (!history) {
            answer.error = QObject::tr("The log cannot be read: %1.").arg(answer.error);
        } else if (churn) {
            // The span is the time the changes were received (a gap: when the recorder found it).
            if (sinceMs > 0)
                std::erase_if(*history, [sinceMs](const EventRecord& r) { return r.receivedMs < sinceMs; });
            answer.churn = tallyRecordedChurn(*history, grouping, depth);
            answer.sinceMs = sinceMs;
        } else {
            answer.records = std::move(*history);
        }
        return answer;
    }));
}

void HistoryWindow::showAnswer()
{
    show_->setEnabled(true);
    Answer answer = watcher_.result();
    model_->clear();
    detail_->clear();
    churnModel_->setChurn({}, 1);
    if (!answer.error.isEmpty()) {
        status_->setText(answer.error);
        emit resultsShown(-1);
        return;
    }
    if (answer.churn) {
        showChurn(answer);
        return;
    }
    int gaps = 0;
    int fromSnapshots = 0;
    for (EventRecord& r : answer.records) {
        r.watch = 1;
        gaps += r.kind == RecordKind::Gap;
        fromSnapshots += r.kind == RecordKind::Put && !r.note.isEmpty();
    }
    const int versions = int(answer.records.size()) - gaps;
    const bool deleted = mode_->currentIndex() == DeletedKeys;
    const auto count = [](int n, const QString& one, const QString& many) {
        return QStringLiteral("%1 %2").arg(n).arg(n == 1 ? one : many);
    };
    QString text = answer.records.empty()
        ? tr("The log holds nothing of this key or range.")
        : deleted ? tr("%1 deleted and not written again, each with the value it had.")
                        .arg(count(versions, tr("key"), tr("keys")))
                  : tr("%1, oldest first.").arg(count(versions, tr("version"), tr("versions")));
    if (fromSnapshots > 0)
        text += QLatin1Char(' ')
            + tr("%1 known from a snapshot (written before the recording began).")
                  .arg(fromSnapshots == 1 ? tr("One of them is") : tr("%1 of them are").arg(fromSnapshots));
    if (gaps > 0)
        text += QLatin1Char(' ')
            + tr("%1 compacted before they were recorded.")
                  .arg(gaps == 1 ? tr("One stretch of revisions was") : tr("%1 stretches of revisions were").arg(gaps));
    if (int(answer.records.size()) > kMaxRows)
        text += QLatin1Char(' ') + tr("The first %1 are shown; etcdscope-cli history lists them all.").arg(kMaxRows);
    status_->setText(text);
    if (int(answer.records.size()) > kMaxRows)
        answer.records.resize(kMaxRows);
    model_->append(answer.records);
    model_->flush();
    emit resultsShown(model_->rowCount());
}

void HistoryWindow::showChurn(const Answer& answer)
{
    const RecordedChurn& churn = *answer.churn;
    std::vector<ChurnGroup> groups;
    groups.reserve(churn.groups.size());
    for (const RecordedChurnGroup& g : churn.groups)
        groups.push_back({g.prefix, g.counts});
    // Rates over the span asked for, else over the time the changes were received in.
    const qint64 fromMs = answer.sinceMs > 0 ? answer.sinceMs : churn.firstMs;
    const qint64 toMs = answer.sinceMs > 0 ? QDateTime::currentMSecsSinceEpoch() : churn.lastMs;
    const double seconds = std::max(1.0, double(toMs - fromMs) / 1000.0);
    churnModel_->setChurn(std::move(groups), seconds);
    const QDateTime first = QDateTime::fromMSecsSinceEpoch(churn.firstMs);
    const QDateTime last = QDateTime::fromMSecsSinceEpoch(churn.lastMs);
    const QString received = first.secsTo(last) < 1
        ? tr("received at %1").arg(QLocale().toString(first, QLocale::ShortFormat))
        : first.date() == last.date()
        ? tr("received %1 to %2").arg(QLocale().toString(first, QLocale::ShortFormat),
                                      QLocale().toString(last.time(), QLocale::ShortFormat))
        : tr("received %1 to %2").arg(QLocale().toString(first, QLocale::ShortFormat),
                                      QLocale().toString(last, QLocale::ShortFormat));
    QString text;
    if (churn.total.events == 0) {
        text = answer.sinceMs > 0 ? tr("The log holds no change of this key or range in that span.")
                                  : tr("The log holds no change of this key or range.");
    } else {
        text = tr("%1 in %2, %3 (revisions %4 to %5): %6 a second on average, busiest first.")
                   .arg(counted(int(churn.total.events), tr("change"), tr("changes")),
                        counted(int(churn.groups.size()), tr("group"), tr("groups")), received)
                   .arg(churn.firstRevision)
                   .arg(churn.lastRevision)
                   .arg(QLocale().toString(double(churn.total.events) / seconds, 'f', 1));
    }
    if (churn.gaps.size() == 1)
        text += QLatin1Char(' ')
            + tr("Revisions %1 to %2 were compacted before they were recorded: the counts leave them out.")
                  .arg(churn.gaps.front().first)
                  .arg(churn.gaps.front().second);
    else if (churn.gaps.size() > 1)
        text += QLatin1Char(' ')
            + tr("%1 stretches of revisions were compacted before they were recorded: the counts leave them out.")
                  .arg(churn.gaps.size());
    status_->setText(text);
    emit resultsShown(churnModel_->rowCount());
}

int HistoryWindow::rowCount() const
{
    return results_->currentIndex() == ChurnPage ? churnModel_->rowCount() : model_->rowCount();
}

void HistoryWindow::selectRow(int row) { view_->selectRow(row); }

QString HistoryWindow::statusText() const { return status_->text(); }

// --- restore ----------------------------------------------------------------------------

void HistoryWindow::setCluster(std::optional<ConnectionOptions> options, const QString& name)
{
    cluster_ = std::move(options);
    clusterName_ = name;
    writable_ = false;  // switched on per connection, as in the Keys tab
    updateRestoreControls();
}

void HistoryWindow::setWritable(bool writable)
{
    writable_ = writable;
    updateRestoreControls();
}

void HistoryWindow::updateRestoreControls()
{
    const bool busy = planWatcher_.isRunning() || applyWatcher_.isRunning();
    const bool allowed = cluster_ && writable_;
    restore_->setEnabled(allowed && !busy);
    restoreRevision_->setEnabled(cluster_.has_value());
    overwrite_->setEnabled(cluster_.has_value());
    restoreHint_->setText(!cluster_ ? tr("Connect to a cluster to restore into it.")
                          : !writable_ ? tr("Switch on Read-write in the Keys tab to restore into %1.").arg(clusterName_)
                          : busy ? tr("Restoring…")
                                 : tr("Into %1; you confirm every change first.").arg(clusterName_));
}

void HistoryWindow::finishRestore(const QString& sentence, int written)
{
    status_->setText(sentence);
    updateRestoreControls();
    emit restoreFinished(written);
}

void HistoryWindow::restoreAsOf(qint64 revision, bool overwrite)
{
    if (!cluster_ || !writable_) {
        finishRestore(restoreHint_->text(), -1);
        return;
    }
    if (planWatcher_.isRunning() || applyWatcher_.isRunning())
        return;  // one restore at a time; the button shows it
    const std::optional<WatchSpec> range = formRange();
    if (!range) {
        finishRestore(status_->text(), -1);
        return;
    }
    if (revision <= 0) {
        finishRestore(tr("Give the revision to restore to (select a version to take its revision)."), -1);
        return;
    }
    status_->setText(tr("Reading %1 as recorded at revision %2 and as it is now in %3…")
                         .arg(describeSpec(*range))
                         .arg(revision)
                         .arg(clusterName_));
    // The log and etcd on a pooled thread, each with a connection of its own.
    planWatcher_.setFuture(runPooled([location = location_, options = *cluster_, range = *range, revision,
                                              overwrite] {
        RestorePlan plan;
        plan.asOf = revision;
        QString error;
        auto store = EventStore::open(location, &error);
        if (!store) {
            plan.error = error;
            return plan;
        }
        AdminConnection connection;
        connection.reset(options);
        plan = planRestore(*store, connection, range, revision, overwrite);
        return plan;
    }));
    updateRestoreControls();
}

void HistoryWindow::confirmRestore()
{
    RestorePlan plan = planWatcher_.result();
    const std::optional<WatchSpec> range = formRange();
    const QString what = range ? describeSpec(*range) : key_->text();
    if (!plan.error.isEmpty()) {
        finishRestore(plan.error + QLatin1Char(' ') + tr("Nothing was written."), -1);
        return;
    }
    if (plan.writes() == 0) {
        finishRestore(plan.kept() == 0
                          ? tr("Nothing to restore: %1 is now as it was at revision %2.").arg(what).arg(plan.asOf)
                          : tr("Nothing written: %1 of %2 changed or created since revision %3; tick “Also undo "
                               "later changes” to put them back.")
                                .arg(counted(plan.kept(), tr("key"), tr("keys")), what)
                                .arg(plan.asOf),
                      -1);
        return;
    }
    const QString text = confirmationText(plan, what, clusterName_);
    const bool yes = confirm_ ? confirm_(tr("Restore"), text) : confirmChange(this, tr("Restore"), text);
    if (!yes || !cluster_ || !writable_) {
        finishRestore(tr("Restore cancelled; nothing was written."), -1);
        return;
    }
    plan_ = std::move(plan);
    status_->setText(tr("Writing %1 into %2…")
                         .arg(counted(plan_.writes(), tr("change"), tr("changes")), clusterName_));
    applyWatcher_.setFuture(runPooled([options = *cluster_, plan = plan_] {
        AdminConnection connection;
        connection.reset(options);
        return applyRestore(connection, plan);
    }));
    updateRestoreControls();
}

void HistoryWindow::showRestoreOutcome()
{
    const RestoreOutcome outcome = applyWatcher_.result();
    const int writes = plan_.writes();
    QString text = tr("Restored as at revision %1: %2 of %3 made.")
                       .arg(plan_.asOf)
                       .arg(outcome.written)
                       .arg(counted(writes, tr("change"), tr("changes")));
    if (!outcome.changedMeanwhile.empty()) {
        QStringList keys;
        for (const auto& [key, modRevision] : outcome.changedMeanwhile)
            keys << shownKey(key);
        text += QLatin1Char(' ')
            + tr("Left alone because they changed after the plan was read: %1.").arg(keys.join(QStringLiteral(", ")));
    }
    if (!outcome.error.empty())
        text += QLatin1Char(' ') + tr("Stopped: %1.").arg(QString::fromStdString(outcome.error));
    plan_ = {};
    finishRestore(text, outcome.written);
}

// --- opening ----------------------------------------------------------------------------

HistoryWindow* openHistory(QWidget* parent, const QString& suggested)
{
    QDialog dialog(parent);
    dialog.setObjectName("openHistoryDialog");
    dialog.setWindowTitle(QObject::tr("Open a recorded history"));
    auto* location = new QLineEdit;
    location->setObjectName("historyLocation");
    location->setPlaceholderText(QObject::tr("A recorded log (.sqlite file) or postgresql://user@host:port/database"));
    location->setText(QSettings().value("history/location", suggested).toString());
    location->setMinimumWidth(520);
    auto* browse = new QPushButton(QObject::tr("&File…"));
    QObject::connect(browse, &QPushButton::clicked, &dialog, [&dialog, location] {
        const QString path = QFileDialog::getOpenFileName(
            &dialog, QObject::tr("Open a recorded history"),
            EventStore::isDatabaseUrl(location->text()) || location->text().isEmpty()
                ? QDir::homePath()
                : QFileInfo(location->text()).absolutePath(),
            QObject::tr("Recorded logs (*.sqlite);;All files (*)"));
        if (!path.isEmpty())
            location->setText(path);
    });
    auto* hint = new QLabel(QObject::tr("What etcdscope-cli record or the monitor wrote. A PostgreSQL password is "
                                        "taken from the address, PGPASSWORD or ~/.pgpass, and never remembered."));
    hint->setWordWrap(true);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Open | QDialogButtonBox::Cancel);
    QObject::connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    QObject::connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    auto* row = new QHBoxLayout;
    row->addWidget(location, 1);
    row->addWidget(browse);
    auto* layout = new QVBoxLayout(&dialog);
    layout->addLayout(row);
    layout->addWidget(hint);
    layout->addWidget(buttons);
    if (dialog.exec() != QDialog::Accepted || location->text().trimmed().isEmpty())
        return nullptr;
    const QString chosen = location->text().trimmed();
    QSettings().setValue("history/location", EventStore::isDatabaseUrl(chosen)
                                                  ? QUrl(chosen).toString(QUrl::RemovePassword)
                                                  : chosen);
    auto* window = new HistoryWindow(chosen, parent);
    window->show();
    return window;
}

}  // namespace etcdscope::ui
