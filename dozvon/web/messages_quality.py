"""The quality pages' texts in English and Russian (``web.q.`` keys): the evaluation queue,
a conversation beside the scorecard, disputes, calibration, examples, the scorecard editor
and the operator's own page. The words are chosen to judge work, not people: praise comes
before what to improve, and the operator's page speaks of the team's middle, never of ranks."""

from __future__ import annotations

from dozvon.core.i18n import register

# --- navigation
register("web.nav.quality", "Quality", "Качество")
register("web.nav.my_quality", "My quality", "Моё качество")
register("web.q.nav.label", "Quality", "Качество")
register("web.q.nav.queue", "Evaluation queue", "Очередь оценки")
register("web.q.nav.calibrations", "Calibration", "Калибровка")
register("web.q.nav.examples", "Best practices", "Лучшие практики")
register("web.q.nav.scorecards", "Scorecards", "Карты оценки")
register("web.q.nav.mine", "My quality", "Моё качество")

# --- the queue
register("web.q.queue.title", "Evaluation queue", "Очередь оценки")
register("web.q.queue.lead",
         "Conversations proposed for this week: a random sample of every operator's work (the same on every "
         "reload), every conversation the automatic checks flagged, and every low customer rating.",
         "Разговоры, предложенные на эту неделю: случайная выборка по каждому оператору (не меняется при "
         "обновлении страницы), все разговоры с замечаниями автоматических проверок и все низкие оценки клиентов.")
register("web.q.queue.disputed", "Disputed evaluations ({n})", "Оспоренные оценки ({n})")
register("web.q.queue.disputed_lead", "The operator disagrees: revise the scores or uphold them, saying why.",
         "Оператор не согласен: пересмотрите оценку или оставьте её, объяснив почему.")
register("web.q.queue.dispute_of", "{operator} · score {score}", "{operator} · оценка {score}")
register("web.q.queue.week", "Week {week}", "Неделя {week}")
register("web.q.queue.todo", "{n} of {total} to evaluate", "осталось оценить {n} из {total}")
register("web.q.queue.weeks", "Weeks", "Недели")
register("web.q.queue.previous", "Previous week", "Предыдущая неделя")
register("web.q.queue.next", "Next week", "Следующая неделя")
register("web.q.queue.operator", "Operator", "Оператор")
register("web.q.queue.everyone", "Everyone", "Все")
register("web.q.queue.show", "Show", "Показать")
register("web.q.queue.evaluated", "Evaluated", "Оценён")
register("web.q.queue.evaluate", "Evaluate", "Оценить")
register("web.q.queue.evaluate_who", "Evaluate the conversation with {name}", "Оценить разговор с клиентом {name}")
register("web.q.queue.empty", "Nothing to evaluate this week: no closed conversations yet.",
         "На этой неделе оценивать нечего: закрытых разговоров пока нет.")
register("web.q.reason.checks", "Checks: {checks}", "Проверки: {checks}")
register("web.q.reason.low_csat", "Low CSAT: {score}", "Низкая оценка клиента: {score}")
register("web.q.reason.sample", "Weekly sample", "Выборка недели")
register("web.q.col.conversation", "Conversation", "Разговор")
register("web.q.col.operator", "Operator", "Оператор")
register("web.q.col.type", "Contact type", "Тип обращения")
register("web.q.col.why", "Why", "Почему")
register("web.q.col.status", "Status", "Статус")
register("web.q.col.criterion", "Criterion", "Критерий")
register("web.q.col.value", "Answer", "Ответ")
register("web.q.col.comment", "Comment", "Комментарий")
register("web.q.col.score", "Score", "Балл")
register("web.q.col.by", "Evaluated by", "Кто оценил")

# --- a conversation
register("web.q.conv.operator", "operator {name}", "оператор {name}")
register("web.q.conv.csat", "customer's rating {score} of 5", "оценка клиента {score} из 5")
register("web.q.conv.recording", "Recording", "Запись разговора")
register("web.q.conv.transcript", "Transcript", "Переписка")
register("web.q.conv.no_messages", "No messages in this conversation.", "В этом разговоре нет сообщений.")
register("web.q.conv.checks", "Automatic checks", "Автоматические проверки")
register("web.q.conv.check_score", "{score} of 100", "{score} из 100")
register("web.q.conv.check_passed", "passed", "пройдена")
register("web.q.conv.check_failed", "failed", "не пройдена")
register("web.q.conv.check_na", "does not apply", "не применима")
register("web.q.conv.not_checked", "Not checked yet.", "Ещё не проверен.")
register("web.q.conv.no_evaluations", "Not evaluated yet.", "Ещё не оценён.")
register("web.q.check.greeting", "Greeting", "Приветствие")
register("web.q.check.farewell", "Farewell", "Прощание")
register("web.q.check.politeness", "Politeness", "Вежливость")
register("web.q.check.unanswered_question", "Unanswered question", "Вопрос без ответа")
register("web.q.check.empathy", "Empathy", "Эмпатия")
register("web.q.check.response_time", "Response time", "Время ответа")
register("web.q.check.long_hold", "Long hold", "Долгое удержание")
register("web.q.check.transfer_ping_pong", "Transfer ping-pong", "Перебрасывание между операторами")
register("web.q.check.callback_promise", "Callback promised without a task", "Обещан перезвон без задачи")

# --- the scorecard
register("web.q.card.title", "Scorecard", "Карта оценки")
register("web.q.card.lead",
         "Answer every criterion from the transcript; mark one that does not apply to this conversation. "
         "Say what went well as well as what to improve.",
         "Оцените каждый критерий по переписке; неприменимый к этому разговору отметьте. "
         "Напишите не только что улучшить, но и что получилось хорошо.")
register("web.q.card.weight", "weight {weight}", "вес {weight}")
register("web.q.card.critical", "critical", "критичный")
register("web.q.card.yes", "Yes", "Да")
register("web.q.card.no", "No", "Нет")
register("web.q.card.na", "N/A", "Неприменимо")
register("web.q.card.comment_on", "Comment on “{criterion}”", "Комментарий к критерию «{criterion}»")
register("web.q.card.comment_placeholder", "Comment (optional)", "Комментарий (необязательно)")
register("web.q.card.praise", "What went well", "Что получилось хорошо")
register("web.q.card.improve", "What to work on", "Над чем поработать")
register("web.q.card.submit", "Submit the evaluation", "Отправить оценку")
register("web.q.card.submit_calibration", "Submit my calibration score", "Отправить мою калибровочную оценку")
register("web.q.card.saved", "Evaluation saved", "Оценка сохранена")
register("web.q.card.choose", "Choose an answer (or “N/A”)", "Выберите ответ (или «Неприменимо»)")
register("web.q.card.live", "The score so far", "Балл по ответам на сейчас")
register("web.q.card.live_value", "{score} of 100", "{score} из 100")

# --- an evaluation
register("web.q.eval.by", "Evaluation by {who}, {when}", "Оценка: {who}, {when}")
register("web.q.eval.card", "Card “{name}”, version {version}", "Карта «{name}», версия {version}")
register("web.q.eval.failed_critical",
         "A critical criterion was not met, so the evaluation is 0 whatever the rest. The competencies below "
         "still show what went well.",
         "Не выполнен критичный критерий — оценка 0 независимо от остального. Компетенции ниже всё равно "
         "показывают, что получилось.")
register("web.q.eval.competencies", "Competencies", "Компетенции")
register("web.q.eval.praise", "Went well:", "Получилось:")
register("web.q.eval.improve", "To work on:", "Поработать над:")
register("web.q.eval.criteria", "Every criterion", "Все критерии")
register("web.q.eval.history", "History", "История")
register("web.q.eval.ack_comment", "Your comment (optional)", "Ваш комментарий (необязательно)")
register("web.q.eval.acknowledge", "Acknowledge", "Ознакомлен(а)")
register("web.q.eval.acknowledged", "Acknowledged", "Отмечено: ознакомлен(а)")
register("web.q.eval.dispute_comment", "Why you disagree", "Почему вы не согласны")
register("web.q.eval.dispute", "Dispute", "Оспорить")
register("web.q.eval.disputed", "Disputed: the supervisor will answer", "Оценка оспорена: супервизор ответит")
register("web.q.eval.answer_dispute", "Answer the dispute", "Ответ на спор")
register("web.q.eval.uphold_comment", "Why the scores stay", "Почему оценка остаётся")
register("web.q.eval.uphold", "Uphold the scores", "Оставить оценку")
register("web.q.eval.upheld", "Scores upheld", "Оценка оставлена")
register("web.q.eval.revise_open", "Revise the scores", "Пересмотреть оценку")
register("web.q.eval.revise_comment", "What changed and why", "Что изменилось и почему")
register("web.q.eval.revise", "Save the revised scores", "Сохранить пересмотренную оценку")
register("web.q.eval.revised", "Scores revised", "Оценка пересмотрена")
register("web.q.eval.say_why", "Say why (a comment is required)", "Объясните причину (комментарий обязателен)")
register("web.q.status.submitted", "New", "Новая")
register("web.q.status.acknowledged", "Acknowledged", "Принята")
register("web.q.status.disputed", "Disputed", "Оспорена")
register("web.q.status.revised", "Revised", "Пересмотрена")
register("web.q.status.upheld", "Upheld", "Оставлена")
register("web.q.step.submitted", "{who} evaluated", "{who} оценил(а)")
register("web.q.step.acknowledged", "{who} acknowledged", "{who}: ознакомлен(а)")
register("web.q.step.disputed", "{who} disputed", "{who} оспорил(а)")
register("web.q.step.revised", "{who} revised the scores", "{who} пересмотрел(а) оценку")
register("web.q.step.upheld", "{who} upheld the scores", "{who} оставил(а) оценку")

# --- examples
register("web.q.example.title", "Best practice", "Лучшая практика")
register("web.q.example.marked", "An example for training, marked by {by}", "Пример для обучения, отметил(а) {by}")
register("web.q.example.not_marked", "Not an example.", "Не отмечен как пример.")
register("web.q.example.note", "What makes it a good example", "Чем этот разговор хорош как пример")
register("web.q.example.competencies", "Competencies it shows", "Какие компетенции он показывает")
register("web.q.example.save", "Mark as an example", "Отметить как пример")
register("web.q.example.update", "Update the example", "Обновить пример")
register("web.q.example.saved", "Saved as an example", "Сохранено как пример")
register("web.q.example.unmark", "No longer an example", "Больше не пример")
register("web.q.example.unmark_sure", "Click again to remove", "Нажмите ещё раз, чтобы убрать")
register("web.q.ex.title", "Best practices", "Лучшие практики")
register("web.q.ex.lead",
         "Real conversations the team handled well, for training: find them by contact type, competency or words "
         "of the note, and read how a colleague did it.",
         "Настоящие разговоры, которые команда провела хорошо, — для обучения: ищите по типу обращения, компетенции "
         "или словам из заметки и смотрите, как это сделал коллега.")
register("web.q.ex.search", "Find examples", "Поиск примеров")
register("web.q.ex.type", "Contact type", "Тип обращения")
register("web.q.ex.competency", "Competency", "Компетенция")
register("web.q.ex.words", "Words of the note", "Слова из заметки")
register("web.q.ex.any", "Any", "Любой")
register("web.q.ex.find", "Find", "Найти")
register("web.q.ex.found", "{n} examples", "Примеров: {n}")
register("web.q.ex.by", "handled by {name}", "вёл(а) {name}")
register("web.q.ex.none", "No examples yet.", "Примеров пока нет.")

# --- calibration
register("web.q.cal.title", "Calibration", "Калибровка")
register("web.q.cal.lead",
         "Several supervisors score the same conversation on the same card, each on their own; the spread per "
         "criterion shows where the card is read differently.",
         "Несколько супервизоров независимо оценивают один и тот же разговор по одной карте; разброс по "
         "критериям показывает, где карту понимают по-разному.")
register("web.q.cal.sessions", "Sessions", "Сессии")
register("web.q.cal.session", "Session", "Сессия")
register("web.q.cal.started", "Started", "Начата")
register("web.q.cal.scored_by", "Scored by", "Оценили")
register("web.q.cal.none", "No calibration sessions yet.", "Калибровок пока не было.")
register("web.q.cal.untitled", "Session {id}", "Сессия {id}")
register("web.q.cal.nobody_yet", "Nobody has scored yet.", "Пока никто не оценил.")
register("web.q.cal.new", "Start a session", "Начать калибровку")
register("web.q.cal.new_lead", "Pick a conversation (its id from the queue or the conversations page) and the card.",
         "Выберите разговор (его номер из очереди оценки или со страницы разговоров) и карту оценки.")
register("web.q.cal.name", "Title", "Название")
register("web.q.cal.conversation", "Conversation id", "Номер разговора")
register("web.q.cal.conversation_help", "The id at the end of the conversation's address.",
         "Номер в конце адреса страницы разговора.")
register("web.q.cal.card", "Scorecard", "Карта оценки")
register("web.q.cal.start", "Start", "Начать")
register("web.q.cal.started_ok", "Session started", "Калибровка начата")
register("web.q.cal.about", "Started by {by}, {when}.", "Начата: {by}, {when}.")
register("web.q.cal.read_conversation", "Read the conversation", "Открыть разговор")
register("web.q.cal.your_turn", "You have not scored this conversation in the session yet.",
         "Вы ещё не оценили этот разговор в этой калибровке.")
register("web.q.cal.score_now", "Score it now", "Оценить сейчас")
register("web.q.cal.scoring",
         "Calibration session “{title}”: your score is seen by the supervisors only, never by the operator.",
         "Калибровка «{title}»: вашу оценку видят только супервизоры, оператор её не видит.")
register("web.q.cal.scores", "Scores", "Оценки")
register("web.q.cal.total_spread", "Apart by {range} points in total; the mean is {mean}.",
         "Общий разброс — {range} баллов; среднее — {mean}.")
register("web.q.cal.spread", "Spread per criterion", "Разброс по критериям")
register("web.q.cal.spread_lead", "The criteria the supervisors read most differently come first: talk those over.",
         "Сначала идут критерии, которые супервизоры оценили наиболее по-разному, — их стоит обсудить.")
register("web.q.cal.apart", "How far apart", "Расхождение")
register("web.q.cal.agreed", "agreed", "совпало")
register("web.q.cal.points", "{points} of {scale}", "{points} из {scale}")

# --- the scorecard editor
register("web.q.cards.title", "Scorecards", "Карты оценки")
register("web.q.cards.lead",
         "Competencies with concrete criteria, their weights, and the critical criteria that fail a whole "
         "evaluation. Saving writes a new version: evaluations already given keep the version they were scored on.",
         "Компетенции с конкретными критериями, их веса и критичные критерии, невыполнение которых обнуляет оценку. "
         "Сохранение создаёт новую версию: уже выставленные оценки остаются на своей версии.")
register("web.q.cards.version", "version {version}", "версия {version}")
register("web.q.cards.name", "Name of the card", "Название карты")
register("web.q.cards.competency", "Competency", "Компетенция")
register("web.q.cards.title_en", "Title in English", "Название по-английски")
register("web.q.cards.title_ru", "Title in Russian", "Название по-русски")
register("web.q.cards.text_en", "Criterion in English", "Критерий по-английски")
register("web.q.cards.text_ru", "Criterion in Russian", "Критерий по-русски")
register("web.q.cards.weight", "Weight", "Вес")
register("web.q.cards.scale", "Scale", "Шкала")
register("web.q.cards.yes_no", "Yes / no", "Да / нет")
register("web.q.cards.id", "Id", "Код")
register("web.q.cards.remove", "Remove", "Убрать")
register("web.q.cards.add_criterion", "Add a criterion", "Добавить критерий")
register("web.q.cards.remove_competency", "Remove the competency", "Убрать компетенцию")
register("web.q.cards.add_competency", "Add a competency", "Добавить компетенцию")
register("web.q.cards.save", "Save as a new version", "Сохранить новую версию")
register("web.q.cards.saved", "Saved as version {version}", "Сохранено как версия {version}")
register("web.q.cards.history", "Versions", "Версии")
register("web.q.cards.history_item", "Version {version}: {by}, {when}", "Версия {version}: {by}, {when}")
register("web.q.cards.status.current", "in use", "используется")
register("web.q.cards.status.superseded", "earlier", "прежняя")
register("web.q.cards.status.retired", "retired", "выведена")

# --- my quality
register("web.q.mine.title", "My quality", "Моё качество")
register("web.q.mine.lead",
         "Your own work: your figures beside the team's median — the middle of the team, not anyone in "
         "particular. Nobody is ranked here; use it to see where you stand and what to practise.",
         "Ваша собственная работа: ваши показатели рядом с медианой команды — серединой, а не чьим-то "
         "конкретным результатом. Здесь нет рейтинга: смотрите, где вы сейчас и что стоит потренировать.")
register("web.q.mine.period", "Period", "Период")
register("web.q.mine.days", "{n} days", "{n} дней")
register("web.q.mine.figures", "My figures and the team's median", "Мои показатели и медиана команды")
register("web.q.mine.median_note",
         "Median: half of the team is above it, half below. Shorter handling and first-reply times are not "
         "better by themselves — a resolved question is.",
         "Медиана: у половины команды больше, у половины меньше. Короткое время обработки и ответа само по себе "
         "не лучше — лучше решённый вопрос.")
register("web.q.mine.metric", "Figure", "Показатель")
register("web.q.mine.mine", "Mine", "Мои")
register("web.q.mine.median", "Team median", "Медиана команды")
register("web.q.mine.competencies", "Competencies", "Компетенции")
register("web.q.mine.evaluations", "My evaluations", "Мои оценки")
register("web.q.mine.evaluation_of", "Conversation of {when}", "Разговор {when}")
register("web.q.mine.no_evaluations", "No evaluations in this period.", "За этот период оценок нет.")
register("web.q.mine.examples", "Best practices to learn from", "Лучшие практики для обучения")
register("web.q.mine.example", "An example", "Пример")
register("web.q.mine.all_examples", "All examples", "Все примеры")
register("web.q.metric.answered", "Contacts answered", "Принято обращений")
register("web.q.metric.aht_s", "Average handling time", "Среднее время обработки")
register("web.q.metric.first_response_s", "First reply in chats", "Первый ответ в чатах")
register("web.q.metric.fcr", "Resolved at the first contact", "Решено с первого обращения")
register("web.q.metric.csat", "Satisfied customers (CSAT)", "Довольные клиенты (CSAT)")
register("web.q.metric.score", "Evaluation score", "Балл оценки качества")
register("web.q.metric.check_score", "Automatic checks score", "Балл автоматических проверок")
register("web.q.metric.flagged_share", "Conversations with a check's remark", "Разговоры с замечанием проверок")

# --- the queue's recovery time (on the queue's settings page)
register("web.admin.q.recovery", "Recovery after a complaint", "Восстановление после жалобы")
register("web.admin.q.recovery.help",
         "Extra wrap-up after a conversation the operator classified as a complaint, so that they recover before "
         "the next customer. Saving the wrap-up form again ends it early.",
         "Дополнительное время на обработку после разговора, который оператор отметил как жалобу, — чтобы "
         "прийти в себя перед следующим клиентом. Повторное сохранение формы завершает его досрочно.")

# --- the reports page's quality section
register("web.reports.quality", "Quality by operator", "Качество по операторам")
register("web.reports.q.evaluations", "Evaluations", "Оценок")
register("web.reports.q.score", "Mean score", "Средний балл")
register("web.reports.q.failed_critical", "Critical failures", "Критичные ошибки")
register("web.reports.q.disputed", "Disputed now", "Оспорено сейчас")
register("web.reports.q.answered", "Answered", "Принято")
register("web.reports.q.aht", "AHT", "AHT")
register("web.reports.q.fcr", "FCR", "FCR")
register("web.reports.q.csat", "CSAT", "CSAT")
register("web.reports.q.check_score", "Checks' score", "Балл проверок")
register("web.reports.q.flagged", "With a check's remark", "С замечанием проверок")
register("web.reports.quality_glossary",
         "Evaluations by competencies (0–100, 0 when a critical criterion failed) beside the same KPIs as above "
         "and the automatic checks of every conversation, for the chosen days. Trends per week: GET "
         "/api/v1/projects/{project}/quality/trends.",
         "Оценки по компетенциям (0–100; 0, если не выполнен критичный критерий) рядом с теми же KPI, что выше, и "
         "автоматическими проверками каждого разговора за выбранные дни. Динамика по неделям: GET "
         "/api/v1/projects/{project}/quality/trends.")

# --- the desktop: the wrap-up form's suggestion and the automatic checks in the history
register("web.q.wrap.suggested", "Suggested: {type} — change it if it was something else",
         "Предложено: {type} — измените, если это не так")
register("web.q.card_checks", "Automatic checks", "Автоматические проверки")
register("web.q.card_checks_loading", "Reading…", "Загрузка…")
register("web.q.card_checks_score", "{score} of 100", "{score} из 100")
register("web.q.card_checks_all_passed", "every check passed", "все проверки пройдены")
register("web.reports.quality_trend", "Evaluation scores by week: the team and each competency",
         "Оценки качества по неделям: команда и каждая компетенция")
register("web.reports.quality_trend_operators", "Evaluation scores by week: the team and each operator",
         "Оценки качества по неделям: команда и каждый оператор")
register("web.reports.quality_team", "Team", "Команда")
register("web.q.cal.blind",
         "Scores given so far: {n}. They and the spread show once you have scored, so that nobody is swayed.",
         "Уже оценили: {n}. Оценки и разброс откроются после вашей оценки, чтобы ничто не влияло на неё.")
register("web.q.card_checks_short", "Automatic checks: {score} of 100 · {failed}",
         "Автоматические проверки: {score} из 100 · {failed}")
