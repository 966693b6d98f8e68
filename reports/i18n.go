package reports

import (
	"fmt"
	"html/template"
	"slices"
	"strings"

	"github.com/shepconf/shepconf/internal/msg"
)

// Languages of the report. English is in the page itself, so it is what a reader without scripts
// sees; the page's script swaps in the others: Russian and Kazakh for the Rules, Belarusian for
// the SMDO profile.
var languages = []language{{"en", "EN"}, {"ru", "РУС"}, {"kk", "ҚАЗ"}, {"be", "БЕЛ"}}

type language struct{ Code, Label string }

// defaultLanguages are the languages a run offers besides English when it names none: the Rules'.
var defaultLanguages = []string{"ru", "kk"}

// offered are English and the run's languages (Run.Languages), in the order of languages.
func offered(run []string) []language {
	if len(run) == 0 {
		run = defaultLanguages
	}
	var out []language
	for _, l := range languages {
		if l.Code == "en" || slices.Contains(run, l.Code) {
			out = append(out, l)
		}
	}
	return out
}

// ui holds the report's fixed strings: English, Russian, Kazakh. Terms follow the Rules' own
// vocabulary (ЭҮШ in Kazakh, ШЭП in Russian; see spec/requirements.md, section 2).
var ui = map[string][3]string{
	"title":            {"shepconf conformance report", "Отчёт shepconf о проверке на соответствие", "shepconf сәйкестікке тексеру есебі"},
	"language":         {"Language", "Язык", "Тіл"},
	"v-conformant":     {Conformant, "СООТВЕТСТВУЕТ", "СӘЙКЕС КЕЛЕДІ"},
	"v-not-conformant": {NotConformant, "НЕ СООТВЕТСТВУЕТ", "СӘЙКЕС КЕЛМЕЙДІ"},
	"v-incomplete":     {Incomplete, "ПРОВЕРКА НЕ ЗАВЕРШЕНА", "ТЕКСЕРУ АЯҚТАЛМАҒАН"},
	"scenarios":        {"Scenarios", "Сценарии", "Сценарийлер"},
	"passed":           {"Passed", "Пройдено", "Өтті"},
	"failed":           {"Failed", "Не пройдено", "Өтпеді"},
	"other":            {"Not run to the end", "Не выполнено до конца", "Соңына дейін орындалмады"},
	"coverage":         {"Testable clauses covered", "Покрыто проверяемых пунктов", "Қамтылған тексерілетін тармақтар"},
	"sut":              {"System under test", "Тестируемая система", "Тестіленетін жүйе"},
	"demonstration": {"DEMONSTRATION — the built-in sample agency system was tested; this run certifies nothing",
		"ДЕМОНСТРАЦИЯ — проверена встроенная демонстрационная система ведомства; этот прогон ничего не подтверждает",
		"ДЕМОНСТРАЦИЯ — кірістірілген үлгі мекеме жүйесі тексерілді; бұл жүргізу ештеңені растамайды"},
	"system-id": {"System ID, BIN", "Идентификатор системы, БИН", "Жүйе идентификаторы, БСН"},
	"sut-url":   {"Address", "Адрес", "Мекенжайы"},
	"image":     {"Container image", "Образ контейнера", "Контейнер бейнесі"},
	"trigger":   {"Trigger (how the harness made it send)", "Триггер (как стенд заставлял систему отправлять)", "Триггер (стенд жүйеге қалай жібертті)"},
	"roles":     {"Roles tested", "Проверенные роли", "Тексерілген рөлдер"},
	"roles-note": {"A role is certified only when at least one of its scenarios ran against the system under test and every one passed, none skipped.",
		"Роль подтверждена, только если хотя бы один её сценарий выполнен с тестируемой системой и все пройдены, ни один не пропущен.",
		"Рөл оның кемінде бір сценарийі тестіленетін жүйемен орындалып, барлығы өтіп, бірде-бірі өткізілмегенде ғана расталады."},
	"role":               {"Role", "Роль", "Рөл"},
	"role-status":        {"Certified", "Подтверждена", "Расталды"},
	"role-certified":     {"certified", "подтверждена", "расталды"},
	"role-not-certified": {"not certified", "не подтверждена", "расталмады"},
	"role-demonstration": {"demonstration only", "только демонстрация", "тек демонстрация"},
	"services":           {"Services exercised", "Задействованные сервисы", "Пайдаланылған сервистер"},
	"none":               {"none", "нет", "жоқ"},
	"harness":            {"Harness version", "Версия стенда", "Стенд нұсқасы"},
	"run-date":           {"Run date", "Дата прогона", "Жүргізілген күні"},
	"took":               {"took", "длительность", "ұзақтығы"},
	"time-scale":         {"Time scale", "Масштаб времени", "Уақыт масштабы"},
	"scale-rules": {"the Rules' limits: this run can certify",
		"пределы Правил: прогон может подтверждать соответствие",
		"Қағидалардағы шектер: бұл жүргізу сәйкестікті растай алады"},
	"scale-shrunk": {"every limit and scripted delay multiplied by this factor: this run does not certify",
		"все пределы и заданные задержки умножены на этот коэффициент: прогон не подтверждает соответствие",
		"барлық шектер мен берілген кідірістер осы коэффициентке көбейтілген: бұл жүргізу сәйкестікті растамайды"},
	"load-compression": {"Load compression", "Сжатие нагрузки", "Жүктемені сығу"},
	"load-compression-note": {"the hourly loads of Appendix 2 were sent this many times faster",
		"часовые нагрузки приложения 2 поданы во столько раз быстрее",
		"2-қосымшадағы сағаттық жүктемелер осынша есе жылдам берілді"},
	"tags":     {"Tag filter", "Фильтр тегов", "Тег сүзгісі"},
	"failures": {"Failures", "Несоответствия", "Сәйкессіздіктер"},
	"rule":     {"Rule", "Требование", "Талап"},
	"expected": {"Expected", "Ожидалось", "Күтілген"},
	"observed": {"Observed", "Фактически", "Нақты"},
	"in-step":  {"Failed step", "Шаг с ошибкой", "Қате қадам"},
	"remarks":  {"Remarks", "Замечания", "Ескертулер"},
	"remark":   {"Remark", "Замечание", "Ескерту"},
	"reason":   {"Reason", "Причина", "Себебі"},
	"remarks-note": {"What the real gateway is known to tolerate but the Rules do not ask for. Not failures: the scenarios passed and the verdict stands; prefer what the Rules ask for.",
		"То, что реальный шлюз допускает, но Правила не требуют. Это не несоответствия: сценарии пройдены, вердикт не меняется; предпочтительно делать так, как требуют Правила.",
		"Нақты шлюз рұқсат ететін, бірақ Қағидалар талап етпейтін нәрселер. Бұл сәйкессіздік емес: сценарийлер өтті, қорытынды өзгермейді; Қағидалар талап ететінді таңдаған жөн."},
	"key-algorithm": {"Key algorithm of the certificates issued", "Алгоритм ключей выданных сертификатов", "Берілген сертификаттар кілтінің алгоритмі"},
	"same-as":       {"the same as shown earlier", "то же, что показано ранее", "бұрын көрсетілгенмен бірдей"},
	"expand-all":    {"Expand all", "Развернуть всё", "Барлығын ашу"},
	"packed": {"Stored compressed: opened by the page's script; to print it, press “Expand all” first",
		"Хранится в сжатом виде: открывается скриптом страницы; чтобы напечатать, сначала нажмите «Развернуть всё»",
		"Сығылған күйде сақталған: бет скриптімен ашылады; басып шығару үшін алдымен «Барлығын ашу» түймесін басыңыз"},
	"clauses-of":      {"Clauses of the scenario", "Пункты сценария", "Сценарийдің тармақтары"},
	"evidence":        {"Evidence", "Доказательства", "Дәлелдер"},
	"matrix":          {"Traceability matrix", "Матрица трассируемости требований", "Талаптарды қадағалау матрицасы"},
	"matrix-note":     {"Every clause and appendix entry of the Rules with the scenarios of this run that cover it. A clause that no scenario covers is shown as uncovered, never as passed.", "Все пункты и записи приложений Правил со сценариями этого прогона, которые их покрывают. Пункт, не покрытый ни одним сценарием, показан как непокрытый, а не как пройденный.", "Қағидалардың барлық тармақтары мен қосымша жазбалары және оларды қамтитын осы жүргізудің сценарийлері. Бірде-бір сценарий қамтымаған тармақ өтті деп емес, қамтылмаған деп көрсетіледі."},
	"clause":          {"Clause", "Пункт", "Тармақ"},
	"requirement":     {"Requirement", "Требование", "Талап"},
	"verdict":         {"Verdict", "Вердикт", "Қорытынды"},
	"unmatched":       {"Clause tags that name no entry of the catalogue", "Теги пунктов, которых нет в каталоге", "Каталогта жоқ тармақ тегтері"},
	"features":        {"Features and scenarios", "Разделы и сценарии", "Бөлімдер мен сценарийлер"},
	"step":            {"Step", "Шаг", "Қадам"},
	"kw-given":        {"Given", "Дано", "Берілгені"},
	"kw-when":         {"When", "Когда", "Егер"},
	"kw-then":         {"Then", "Тогда", "Сонда"},
	"kw-and":          {"And", "И", "Және"},
	"kw-but":          {"But", "Но", "Бірақ"},
	"kw-*":            {"*", "*", "*"},
	"status":          {"Status", "Статус", "Күйі"},
	"time":            {"Time", "Время", "Уақыты"},
	"measurements":    {"Measurements", "Измерения", "Өлшемдер"},
	"count":           {"Count", "Количество", "Саны"},
	"mean":            {"Mean", "Среднее", "Орташа"},
	"max":             {"Max", "Максимум", "Ең үлкені"},
	"limit":           {"Limit", "Предел", "Шек"},
	"st-passed":       {"passed", "пройден", "өтті"},
	"st-failed":       {"failed", "не пройден", "өтпеді"},
	"st-skipped":      {"skipped", "пропущен", "өткізіп жіберілді"},
	"st-undefined":    {"undefined", "не определён", "анықталмаған"},
	"st-pending":      {"pending", "ожидает", "күтуде"},
	"st-ambiguous":    {"ambiguous", "неоднозначен", "екіұшты"},
	"st-uncovered":    {"uncovered", "не покрыт", "қамтылмаған"},
	"st-not-testable": {"not testable by software", "не проверяется программно", "бағдарламалық тексерілмейді"},
	"footer": {"Written by shepconf. Clause IDs refer to the Rules for integration of e-government informatization objects (order No. 165/НҚ, 2020). The e-government gateway (ShEP) and every party other than the system under test are simulated.",
		"Сформировано shepconf. Номера пунктов относятся к Правилам интеграции объектов информатизации «электронного правительства» (приказ № 165/НҚ, 2020). Шлюз «электронного правительства» (ШЭП) и все участники, кроме тестируемой системы, имитируются.",
		"shepconf құрастырды. Тармақ нөмірлері «Электрондық үкіметтің» ақпараттандыру объектілерін ықпалдастыру қағидаларына (№ 165/НҚ бұйрық, 2020) сілтейді. «Электрондық үкімет» шлюзі (ЭҮШ) және тестіленетін жүйеден басқа барлық қатысушылар имитацияланады."},
}

// translate renders a fixed string in English, marked for the page's language switch.
func translate(key string) (template.HTML, error) {
	s, ok := ui[key]
	if !ok {
		return "", fmt.Errorf("report template: no translation for %q; add it to ui in reports/i18n.go", key)
	}
	return template.HTML(`<span data-t="` + key + `">` + template.HTMLEscapeString(s[0]) + `</span>`), nil
}

// status renders a scenario, step or clause verdict as a translated, coloured word.
func status(s string) (template.HTML, error) {
	if _, err := translate("st-" + s); err != nil {
		return "", err
	}
	return template.HTML(`<span class="st ` + s + `" data-t="st-` + s + `">` + template.HTMLEscapeString(ui["st-"+s][0]) + `</span>`), nil
}

// Tr renders a text of the run's own (a catalogue entry's title, a verdict record) in English,
// marked with the number of its translations (see translations) for the page's language switch; a
// language without one shows English.
func (v view) Tr(en string, by map[string]string) (template.HTML, error) {
	n, err := v.tr.ref(en, by)
	if n == "" || err != nil {
		return template.HTML(template.HTMLEscapeString(en)), err
	}
	return template.HTML(`<span data-tr="` + n + `">` + template.HTMLEscapeString(en) + `</span>`), nil
}

// Msg renders a text of the harness's message catalogue (internal/msg) like Tr.
func (v view) Msg(t msg.Text) (template.HTML, error) {
	return v.Tr(t.String(), redactedTranslations(t.Translations()))
}

// keyword renders a step's Gherkin keyword (Given, When, Then, And, But) in the page's language.
func keyword(k string) (template.HTML, error) {
	key := "kw-" + strings.ToLower(strings.TrimSpace(k))
	if _, ok := ui[key]; !ok {
		return template.HTML(template.HTMLEscapeString(k)), nil // a keyword of another dialect: as written
	}
	return translate(key)
}

// dictionary is what the page's script needs: the Russian, Kazakh and Belarusian strings by key.
func dictionary() map[string]map[string]string {
	d := map[string]map[string]string{"ru": {}, "kk": {}, "be": uiBelarusian}
	for k, s := range ui {
		d["ru"][k], d["kk"][k] = s[1], s[2]
	}
	return d
}
