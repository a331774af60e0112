#include "monitor/history_window.h"

#include "decode/value_text.h"
#include "monitor/event_timeline_model.h"
#include "recording/event_store.h"
#include "shared/detail_pane.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSplitter>
#include <QStatusBar>
#include <QTableView>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace etcdscope::ui {

namespace {

// A window shows at most this many versions (the CLI's history has them all).
constexpr int kMaxRows = 100'000;

enum Mode { AllVersions = 0, DeletedKeys = 1 };

}  // namespace

HistoryWindow::HistoryWindow(QString location, QWidget* parent)
    : QMainWindow(parent)
    , location_(std::move(location))
{
    setObjectName("historyWindow");
    setAttribute(Qt::WA_DeleteOnClose);
    logName_ = EventStore::isDatabaseUrl(location_) ? location_ : QFileInfo(location_).fileName();
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
    grep_ = new QLineEdit;
    grep_->setObjectName("historyGrep");
    grep_->setPlaceholderText(tr("Value contains…"));
    grep_->setClearButtonEnabled(true);
    show_ = new QPushButton(tr("&Show"));
    show_->setObjectName("historyShow");
    show_->setDefault(true);
    auto* form = new QHBoxLayout;
    form->addWidget(new QLabel(tr("Key:")));
    form->addWidget(key_, 3);
    form->addWidget(prefix_);
    form->addWidget(mode_);
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

    status_ = new QLabel(tr("Give a key or a prefix and press Show."));
    status_->setObjectName("historyStatus");
    status_->setWordWrap(true);
    auto* central = new QWidget;
    auto* layout = new QVBoxLayout(central);
    layout->addLayout(form);
    layout->addWidget(status_);
    layout->addWidget(splitter, 1);
    setCentralWidget(central);

    connect(show_, &QPushButton::clicked, this, &HistoryWindow::runQuery);
    connect(key_, &QLineEdit::returnPressed, this, &HistoryWindow::runQuery);
    connect(grep_, &QLineEdit::returnPressed, this, &HistoryWindow::runQuery);
    connect(&watcher_, &QFutureWatcher<Answer>::finished, this, &HistoryWindow::showAnswer);
    connect(view_->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex& current) {
        if (!current.isValid())
            return;
        const EventRecord& r = model_->record(current.row());
        if (r.kind == RecordKind::Gap) {
            detail_->showMessage(tr("Revisions %1 to %2 were compacted before the recording saw them: what changed "
                                    "then is not known.")
                                     .arg(r.gapFrom)
                                     .arg(r.gapTo));
            return;
        }
        detail_->showRecord(r, r.note.isEmpty() ? logName_ : r.note);
    });
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

void HistoryWindow::runQuery()
{
    const std::optional<QByteArray> key = unescapeKey(key_->text());
    if (!key) {
        status_->setText(tr("The key has a malformed escape: write other bytes as \\xNN and a backslash as \\\\."));
        emit resultsShown(-1);
        return;
    }
    if (key->isEmpty() && !prefix_->isChecked()) {
        status_->setText(tr("Give a key, or tick Prefix to see every key."));
        emit resultsShown(-1);
        return;
    }
    if (watcher_.isRunning())
        return;  // one query at a time; the button shows it
    HistoryQuery query;
    query.range.key = key->toStdString();
    query.range.rangeEnd = prefix_->isChecked() ? prefixRangeEnd(query.range.key) : std::string();
    query.deletedOnly = mode_->currentIndex() == DeletedKeys;
    query.grep = grep_->text().toUtf8();
    show_->setEnabled(false);
    status_->setText(tr("Reading the history of %1…").arg(describeSpec(query.range)));
    // A connection of its own on a pooled thread: a store belongs to the thread that opened it.
    watcher_.setFuture(QtConcurrent::run([location = location_, query] {
        Answer answer;
        auto store = EventStore::open(location, &answer.error);
        if (!store)
            return answer;
        auto history = recordedHistory(*store, query, &answer.error);
        if (history)
            answer.records = std::move(*history);
        else
            answer.error = QObject::tr("The log cannot be read: %1.").arg(answer.error);
        return answer;
    }));
}

void HistoryWindow::showAnswer()
{
    show_->setEnabled(true);
    Answer answer = watcher_.result();
    model_->clear();
    detail_->clear();
    if (!answer.error.isEmpty()) {
        status_->setText(answer.error);
        emit resultsShown(-1);
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

int HistoryWindow::rowCount() const { return model_->rowCount(); }

void HistoryWindow::selectRow(int row) { view_->selectRow(row); }

void openHistory(QWidget* parent)
{
    const QString path = QFileDialog::getOpenFileName(parent, QObject::tr("Open a recorded history"), QDir::homePath(),
                                                      QObject::tr("Recorded logs (*.sqlite);;All files (*)"));
    if (path.isEmpty())
        return;
    auto* window = new HistoryWindow(path, parent);
    window->show();
}

}  // namespace etcdscope::ui
