#include "keys/key_browser.h"

#include "decode/value_text.h"
#include "format/event_format.h"
#include "keys/key_tree_model.h"
#include "shared/confirm_change.h"
#include "shared/detail_pane.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPushButton>
#include <QRegularExpressionValidator>
#include <QScrollBar>
#include <QSplitter>
#include <QTreeView>
#include <QVBoxLayout>

namespace etcdscope::ui {

KeyBrowser::KeyBrowser(AdminClient* client, QWidget* parent)
    : QWidget(parent)
    , client_(client)
    , model_(new KeyTreeModel(client, this))
{
    prefixEdit_ = new QLineEdit;
    prefixEdit_->setObjectName("keyPrefixEdit");
    prefixEdit_->setPlaceholderText(tr("Prefix to browse, e.g. /registry/pods/ (empty: every key; \\xNN for bytes)"));
    prefixEdit_->setClearButtonEnabled(true);
    revisionEdit_ = new QLineEdit;
    revisionEdit_->setObjectName("keyRevisionEdit");
    revisionEdit_->setPlaceholderText(tr("newest"));
    revisionEdit_->setToolTip(tr("Show the key space as it was at this revision (empty: the newest)"));
    revisionEdit_->setValidator(new QRegularExpressionValidator(QRegularExpression("[0-9]{0,18}"), revisionEdit_));
    revisionEdit_->setMaximumWidth(120);
    auto* go = new QPushButton(tr("&Browse"));
    auto* watch = new QPushButton(tr("&Watch this prefix…"));
    status_ = new QLabel;
    status_->setObjectName("keyBrowserStatus");

    auto* bar = new QHBoxLayout;
    bar->setContentsMargins(0, 0, 0, 0);
    bar->addWidget(prefixEdit_, 1);
    bar->addWidget(new QLabel(tr("as of revision")));
    bar->addWidget(revisionEdit_);
    bar->addWidget(go);
    bar->addWidget(watch);

    view_ = new QTreeView;
    view_->setObjectName("keyTree");
    view_->setModel(model_);
    view_->setUniformRowHeights(true);
    view_->setAlternatingRowColors(true);
    view_->setContextMenuPolicy(Qt::CustomContextMenu);
    view_->header()->setStretchLastSection(false);
    view_->header()->setSectionResizeMode(KeyTreeModel::NameColumn, QHeaderView::Stretch);
    for (int column = KeyTreeModel::ModRevisionColumn; column < KeyTreeModel::ColumnCount; ++column)
        view_->setColumnWidth(column, 90);

    detail_ = new DetailPane;
    olderButton_ = new QPushButton(tr("◀ Previous version"));
    olderButton_->setObjectName("olderVersionButton");
    olderButton_->setToolTip(tr("The value this key had before its last modification"));
    newerButton_ = new QPushButton(tr("Next version ▶"));
    newerButton_->setObjectName("newerVersionButton");
    writableCheck_ = new QCheckBox(tr("Read-&write"));
    writableCheck_->setObjectName("readWriteCheck");
    writableCheck_->setToolTip(tr("Allow putting and deleting keys on this connection (each change is confirmed)"));
    newButton_ = new QPushButton(tr("&New key…"));
    newButton_->setObjectName("newKeyButton");
    editButton_ = new QPushButton(tr("&Edit value…"));
    editButton_->setObjectName("editValueButton");
    deleteButton_ = new QPushButton(tr("&Delete…"));
    deleteButton_->setObjectName("deleteButton");
    auto* steps = new QHBoxLayout;
    steps->setContentsMargins(0, 0, 0, 0);
    steps->addWidget(olderButton_);
    steps->addWidget(newerButton_);
    steps->addStretch(1);
    steps->addWidget(writableCheck_);
    steps->addWidget(newButton_);
    steps->addWidget(editButton_);
    steps->addWidget(deleteButton_);
    auto* valuePane = new QWidget;
    auto* valueLayout = new QVBoxLayout(valuePane);
    valueLayout->setContentsMargins(0, 0, 0, 0);
    valueLayout->addLayout(steps);
    valueLayout->addWidget(detail_, 1);

    auto* splitter = new QSplitter(Qt::Vertical);
    splitter->addWidget(view_);
    splitter->addWidget(valuePane);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(bar);
    layout->addWidget(splitter, 1);
    layout->addWidget(status_);

    auto browseFromControls = [this] {
        const auto prefix = unescapeKey(prefixEdit_->text());
        if (!prefix) {
            lastError_ = tr("The prefix has a malformed \\x escape (two hex digits are needed).");
            updateStatus();
            return;
        }
        browse(*prefix, revisionEdit_->text().toLongLong());
    };
    connect(go, &QPushButton::clicked, this, browseFromControls);
    connect(prefixEdit_, &QLineEdit::returnPressed, this, browseFromControls);
    connect(revisionEdit_, &QLineEdit::returnPressed, this, browseFromControls);
    connect(watch, &QPushButton::clicked, this, [this] {
        if (const auto prefix = unescapeKey(prefixEdit_->text()))
            emit watchRequested(*prefix, true);
    });
    connect(view_->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex& current) {
        selectKey(current);
        updateEditButtons();
    });
    connect(view_, &QWidget::customContextMenuRequested, this, &KeyBrowser::showMenu);
    connect(view_->verticalScrollBar(), &QScrollBar::valueChanged, this, &KeyBrowser::fetchVisibleTails);
    connect(view_, &QTreeView::expanded, this, [this] { fetchVisibleTails(); });
    connect(model_, &KeyTreeModel::pageLoaded, this, [this] {
        fetchVisibleTails();
        updateStatus();
    });
    connect(model_, &KeyTreeModel::loadFailed, this, [this](const QString& sentence) {
        lastError_ = sentence;
        updateStatus();
    });
    connect(model_, &QAbstractItemModel::modelReset, this, [this] {
        lastError_.clear();
        updateStatus();
        updateEditButtons();
    });
    connect(client_, &AdminClient::rangeDone, this, &KeyBrowser::onRangeDone);
    connect(olderButton_, &QPushButton::clicked, this, [this] {
        if (shownModRevision_ <= 1)
            return;
        versionTrail_.push_back(shownModRevision_ - 1);
        readValue(shownKey_, versionTrail_.back());
    });
    connect(newerButton_, &QPushButton::clicked, this, [this] {
        if (versionTrail_.size() < 2)
            return;
        versionTrail_.pop_back();
        readValue(shownKey_, versionTrail_.back());
    });
    olderButton_->setEnabled(false);
    newerButton_->setEnabled(false);
    detail_->showMessage(tr("Select a key to see its value."));

    confirm_ = [this](const QString& title, const QString& text) { return confirmChange(this, title, text); };
    askValue_ = [this](const QByteArray& key, const QByteArray& current) -> std::optional<QByteArray> {
        bool ok = false;
        const QString text = QInputDialog::getMultiLineText(this, tr("Value of %1").arg(escapeKey(key)),
                                                            tr("New value (UTF-8 text):"), QString::fromUtf8(current),
                                                            &ok);
        return ok ? std::optional<QByteArray>(text.toUtf8()) : std::nullopt;
    };
    connect(writableCheck_, &QCheckBox::toggled, this, [this](bool on) {
        updateEditButtons();
        emit writableChanged(on);
    });
    connect(client_, &AdminClient::writeDone, this, &KeyBrowser::onWriteDone);
    connect(newButton_, &QPushButton::clicked, this, [this] {
        bool ok = false;
        const QString base = QString::fromUtf8(model_->rootPrefix());
        const QString typed = QInputDialog::getText(this, tr("New key"), tr("Key (\\xNN for bytes):"), QLineEdit::Normal,
                                                    base, &ok);
        const auto key = ok ? unescapeKey(typed) : std::nullopt;
        if (!key || key->isEmpty())
            return;
        if (const auto value = askValue_(*key, {}))
            putValue(*key, *value, PutMode::Create);
    });
    connect(editButton_, &QPushButton::clicked, this, &KeyBrowser::editSelected);
    connect(deleteButton_, &QPushButton::clicked, this, [this] {
        const QModelIndex current = view_->currentIndex();
        if (current.isValid())
            deleteKeys(current.data(KeyTreeModel::KeyRole).toByteArray(),
                       current.data(KeyTreeModel::IsFolderRole).toBool());
    });
    updateEditButtons();
    updateStatus();
}

void KeyBrowser::setStoreRevision(qint64 revision)
{
    if (revision <= storeRevision_)
        return;
    storeRevision_ = revision;
    updateStatus();
}

void KeyBrowser::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    const bool stale = model_->revision() == 0 && model_->readRevision() > 0 && storeRevision_ > model_->readRevision();
    if (stale && model_->pendingPages() == 0)
        browse(model_->rootPrefix(), 0);
}

void KeyBrowser::setWritable(bool writable) { writableCheck_->setChecked(writable); }

bool KeyBrowser::writable() const { return writableCheck_->isChecked(); }

void KeyBrowser::updateEditButtons()
{
    const QModelIndex current = view_->currentIndex();
    const bool on = writable() && model_->revision() == 0;  // the past cannot be edited
    newButton_->setEnabled(on);
    editButton_->setEnabled(on && current.isValid() && !current.data(KeyTreeModel::IsFolderRole).toBool());
    deleteButton_->setEnabled(on && current.isValid());
}

void KeyBrowser::editSelected()
{
    const QModelIndex current = view_->currentIndex();
    if (!current.isValid() || current.data(KeyTreeModel::IsFolderRole).toBool())
        return;
    const QByteArray key = current.data(KeyTreeModel::KeyRole).toByteArray();
    if (const auto value = askValue_(key, key == shownKey_ ? shownValue_ : QByteArray()))
        putValue(key, *value);
}

QString KeyBrowser::putValue(const QByteArray& key, const QByteArray& value, PutMode mode)
{
    if (!writable())
        return tr("This connection is read-only: tick Read-write to change keys.");
    std::optional<std::int64_t> expected;
    QString before;
    QString changes;
    if (mode == PutMode::Create) {
        expected = 0;
        before = tr("the key does not exist");
    } else if (key == shownKey_ && newestKnown_) {
        expected = newestModRevision_;
        before = newestModRevision_ > 0
                     ? tr("%1 bytes, modified at revision %2").arg(newestValue_.size()).arg(newestModRevision_)
                     : tr("the key does not exist");
        if (newestModRevision_ > 0)
            changes = changeSummary(newestValue_, value);
    } else {
        before = tr("not read here; whatever the key holds is replaced");
    }
    QString text = tr("Put %1?\n\nBefore: %2\nAfter: %3 bytes").arg(escapeKey(key), before).arg(value.size());
    text += "\n\n" + (changes.isEmpty() ? tr("New value: %1").arg(valuePreview(value, 300)) : changes);
    if (expected)
        text += "\n\n" + (*expected > 0 ? tr("If the key changes before this is written, nothing is written.")
                                        : tr("If the key exists by then, nothing is written."));
    if (!confirm_(tr("Put a key"), text)) {
        emit written(tr("Nothing was changed."));
        return {};
    }
    const quint64 id = client_->put(key.toStdString(), value.toStdString(), expected);
    writes_[id] = tr("Put %1").arg(escapeKey(key));
    return {};
}

QString changeSummary(const QByteArray& before, const QByteArray& after, int maxLines)
{
    auto isText = [](const QByteArray& bytes) {
        return !bytes.contains('\0') && isValidUtf8(std::string_view(bytes.constData(), std::size_t(bytes.size())));
    };
    if (!isText(before) || !isText(after))
        return {};
    const auto beforeJson = prettyJson(before);
    const auto afterJson = prettyJson(after);
    const bool json = beforeJson && afterJson;  // formatted, so that layout is not a change
    const auto lines = diffLines(json ? *beforeJson : QString::fromUtf8(before),
                                 json ? *afterJson : QString::fromUtf8(after), 2000);
    if (!lines)
        return {};
    QStringList shown;
    int changed = 0;
    for (const DiffLine& line : *lines) {
        if (line.kind == DiffLine::Kind::Same)
            continue;
        if (++changed <= maxLines)
            shown << (line.kind == DiffLine::Kind::Removed ? "- " : "+ ") + line.text.left(160);
    }
    if (changed == 0)
        return QObject::tr("The new value is the same as the current one.");
    QString out = (json ? QObject::tr("Changed lines (JSON, formatted):") : QObject::tr("Changed lines:")) + "\n"
        + shown.join('\n');
    if (changed > maxLines)
        out += QObject::tr("\n… and %1 more changed lines").arg(changed - maxLines);
    return out;
}

QString KeyBrowser::deleteKeys(const QByteArray& keyOrPrefix, bool prefix)
{
    if (!writable())
        return tr("This connection is read-only: tick Read-write to change keys.");
    // First see what would go, so that the confirmation can say it.
    RangeQuery sample;
    sample.key = keyOrPrefix.toStdString();
    sample.rangeEnd = prefix ? prefixRangeEnd(sample.key) : std::string();
    sample.limit = 10;
    sample.keysOnly = true;
    deleteSamples_[client_->range(std::move(sample))] = {keyOrPrefix, prefix};
    return {};
}

void KeyBrowser::confirmDelete(const QByteArray& keyOrPrefix, bool prefix, const RangeResult& sample)
{
    if (!sample.error.empty()) {
        emit written(QString::fromStdString(sample.error));
        return;
    }
    if (sample.count == 0) {
        emit written(tr("Nothing to delete: %1 has no keys now.").arg(escapeKey(keyOrPrefix)));
        return;
    }
    QStringList names;
    for (const KeyValue& kv : sample.kvs)
        names << escapeKey(QByteArray::fromStdString(kv.key));
    const QString what = prefix ? tr("every key under %1: %2 key(s)").arg(escapeKey(keyOrPrefix)).arg(sample.count)
                                : tr("the key %1").arg(escapeKey(keyOrPrefix));
    QString text = tr("Delete %1, at revision %2 of the store?\n\n%3").arg(what).arg(sample.revision).arg(names.join("\n"));
    if (sample.count > std::int64_t(names.size()))
        text += tr("\n… and %1 more").arg(sample.count - std::int64_t(names.size()));
    if (!confirm_(tr("Delete keys"), text)) {
        emit written(tr("Nothing was changed."));
        return;
    }
    const quint64 id = client_->deleteRange(keyOrPrefix.toStdString(),
                                            prefix ? prefixRangeEnd(keyOrPrefix.toStdString()) : std::string());
    writes_[id] = tr("Delete %1").arg(what);
}

void KeyBrowser::onWriteDone(quint64 id, const WriteResultPtr& result)
{
    const auto it = writes_.find(id);
    if (it == writes_.end())
        return;
    const QString what = it->second;
    writes_.erase(it);
    if (!result->error.empty()) {
        emit written(tr("%1 failed: %2").arg(what, QString::fromStdString(result->error)));
        return;
    }
    emit written(result->keysDeleted > 0 ? tr("%1: done at revision %2 (%3 key(s) deleted).")
                                           .arg(what)
                                           .arg(result->revision)
                                           .arg(result->keysDeleted)
                                     : tr("%1: done at revision %2.").arg(what).arg(result->revision));
    browse(model_->rootPrefix(), 0);  // show the key space as it is now
}

void KeyBrowser::browse(const QByteArray& prefix, qint64 revision)
{
    prefixEdit_->setText(escapeKey(prefix));
    revisionEdit_->setText(revision > 0 ? QString::number(revision) : QString());
    model_->setRoot(prefix, revision);
    // A view fetches the root's first page when it lays out; without one
    // (or when it is hidden) the tree must not stay empty.
    if (model_->canFetchMore({}))
        model_->fetchMore({});
}

void KeyBrowser::selectKey(const QModelIndex& index)
{
    if (!index.isValid())
        return;
    if (view_->currentIndex().row() != index.row() || view_->currentIndex().parent() != index.parent())
        view_->setCurrentIndex(index);
    if (index.data(KeyTreeModel::IsFolderRole).toBool()) {
        detail_->showMessage(tr("Folder %1 — open it to list its keys, or watch the prefix from its menu.")
                                 .arg(index.siblingAtColumn(0).data(Qt::ToolTipRole).toString()));
        olderButton_->setEnabled(false);
        newerButton_->setEnabled(false);
        return;
    }
    versionTrail_ = {model_->revision()};
    newestKnown_ = false;
    readValue(index.data(KeyTreeModel::KeyRole).toByteArray(), model_->revision());
}

void KeyBrowser::readValue(const QByteArray& key, qint64 revision)
{
    shownKey_ = key;
    RangeQuery query;
    query.key.assign(key.constData(), std::size_t(key.size()));
    query.revision = revision;
    valueRequest_ = client_->range(std::move(query));
    olderButton_->setEnabled(false);
    newerButton_->setEnabled(false);
}

void KeyBrowser::onRangeDone(quint64 id, const RangeResultPtr& result)
{
    if (const auto pending = deleteSamples_.find(id); pending != deleteSamples_.end()) {
        const PendingDelete what = pending->second;
        deleteSamples_.erase(pending);
        confirmDelete(what.keyOrPrefix, what.prefix, *result);
        return;
    }
    if (id == previousRequest_) {
        previousRequest_ = 0;
        if (!result->error.empty())
            detail_->showDiffMessage(tr("The version before cannot be read: %1").arg(QString::fromStdString(result->error)));
        else if (!result->kvs.empty())
            detail_->showPreviousVersion(shownKey_, QByteArray::fromStdString(result->kvs.front().value), shownValue_);
        return;
    }
    if (id != valueRequest_)
        return;
    const qint64 asOf = versionTrail_.empty() ? 0 : versionTrail_.back();
    newerButton_->setEnabled(versionTrail_.size() > 1);
    if (!result->error.empty()) {
        detail_->showMessage(QString::fromStdString(result->error));
        return;
    }
    if (asOf == 0) {
        newestKnown_ = true;
        newestModRevision_ = result->kvs.empty() ? 0 : result->kvs.front().modRevision;
        newestValue_ = result->kvs.empty() ? QByteArray() : QByteArray::fromStdString(result->kvs.front().value);
    }
    if (result->kvs.empty()) {
        shownModRevision_ = 0;
        detail_->showMessage(asOf > 0 ? tr("The key did not exist at revision %1 (created later, or deleted then).")
                                            .arg(asOf)
                                      : tr("The key no longer exists (deleted since the list was read)."));
        return;
    }
    const KeyValue& kv = result->kvs.front();
    shownModRevision_ = kv.modRevision;
    shownValue_ = QByteArray(kv.value.data(), qsizetype(kv.value.size()));
    detail_->showKeyValue(shownKey_, QByteArray(kv.value.data(), qsizetype(kv.value.size())), kv.modRevision,
                          kv.createRevision, kv.version, kv.lease, asOf);
    olderButton_->setEnabled(kv.version > 1 && kv.modRevision > 1);
    if (kv.version > 1 && kv.modRevision > 1) {
        // The Diff tab: this version against the one before it.
        RangeQuery before;
        before.key = kv.key;
        before.revision = kv.modRevision - 1;
        previousRequest_ = client_->range(std::move(before));
    }
}

void KeyBrowser::fetchVisibleTails()
{
    // A view asks the root for more when scrolled to the end; a long open
    // folder needs the same when its last loaded row comes into sight.
    const QModelIndex last = view_->indexAt(QPoint(1, view_->viewport()->height() - 2));
    for (QModelIndex folder = last.isValid() ? last.parent() : QModelIndex(); folder.isValid();
         folder = folder.parent()) {
        if (model_->canFetchMore(folder) && last.row() >= model_->rowCount(folder) - 50)
            model_->fetchMore(folder);
    }
    if (!last.isValid() && model_->canFetchMore({}) && model_->rowCount() > 0)
        model_->fetchMore({});
}

void KeyBrowser::updateStatus()
{
    if (!lastError_.isEmpty()) {
        status_->setStyleSheet("QLabel { background: rgba(220, 60, 60, 0.25); padding: 2px 4px; }");
        status_->setText(lastError_);
        return;
    }
    const int top = model_->rowCount();
    const bool past = model_->revision() > 0;
    // Time travel is marked, so that nobody mistakes old keys for today's.
    status_->setStyleSheet(past ? "QLabel { background: rgba(230, 160, 40, 0.35); padding: 2px 4px; }" : QString());
    QString text = past ? (model_->readRevision() > 0
                               ? tr("As of revision %1 (the store is now at %2)")
                                     .arg(model_->revision())
                                     .arg(model_->readRevision())
                               : tr("As of revision %1").arg(model_->revision()))
                 : model_->readRevision() > 0 ? tr("Newest (read at revision %1)").arg(model_->readRevision())
                                              : tr("Newest");
    if (!past && model_->readRevision() > 0 && storeRevision_ > model_->readRevision())
        text += tr(" · the store has moved on to revision %1: Browse reloads").arg(storeRevision_);
    text += top == 1 ? tr(" · 1 entry at the top level") : tr(" · %1 entries at the top level").arg(top);
    if (model_->pendingPages() > 0)
        text += tr(" · loading…");
    status_->setText(text);
}

void KeyBrowser::showMenu(const QPoint& at)
{
    const QModelIndex index = view_->indexAt(at);
    if (!index.isValid())
        return;
    const QByteArray key = index.data(KeyTreeModel::KeyRole).toByteArray();
    const bool folder = index.data(KeyTreeModel::IsFolderRole).toBool();
    QMenu menu;
    if (folder) {
        menu.addAction(tr("Watch this prefix…"), this, [this, key] { emit watchRequested(key, true); });
        menu.addAction(tr("Browse from here"), this, [this, key] { browse(key, model_->revision()); });
    } else {
        menu.addAction(tr("Watch this key…"), this, [this, key] { emit watchRequested(key, false); });
    }
    menu.exec(view_->viewport()->mapToGlobal(at));
}

}  // namespace etcdscope::ui
