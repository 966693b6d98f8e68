package forms

import (
	"fmt"
	"strings"
	"time"
)

// The act of Appendix 4 is rendered in the form's official languages, Kazakh and Russian, and in
// English. The signed XML is the same in all three (see TestAct); what changes is only the words
// around its values, all of them in the tables of this file.
//
// Kazakh is the text of the Rules' Appendix 4 itself where the form has words (the row labels and
// the title, taken verbatim from the Kazakh original, which is authoritative). The Russian text of
// the Rules is official too but is not among the project's sources: the Russian here is our own
// faithful rendering of the Kazakh labels (in the terms of the parallel Russian text, as
// spec/requirements.md gives them), to be checked against the official Russian wording before it
// is quoted in a legal document. English is the working rendering of spec/forms.md. The harness's
// own sentences (fields 4 and 5 of an act drawn from a run, the signatures) are ours in all three.

// Lang is a language the act is rendered in.
type Lang string

// The languages of the act: the form's official languages, then English.
const (
	Kazakh  Lang = "kk"
	Russian Lang = "ru"
	English Lang = "en"
)

// Langs are the languages the act is rendered in.
var Langs = []Lang{Kazakh, Russian, English}

// ParseLang reads a language code of the act: kk, ru or en.
func ParseLang(s string) (Lang, error) {
	for _, l := range Langs {
		if string(l) == s {
			return l, nil
		}
	}
	return "", fmt.Errorf("%q is not a language of the act: it is rendered in kk (Kazakh), ru (Russian) or en (English)", s)
}

// text is one text of the act in each language.
type text struct{ KK, RU, EN string }

func (t text) in(l Lang) string {
	switch l {
	case Kazakh:
		return t.KK
	case Russian:
		return t.RU
	}
	return t.EN
}

// actLabels are the labels of Appendix 4's rows, keyed by the number the form prints; a heading's
// number ends in a dot. The Kazakh is the Rules' own.
var actLabels = map[string]text{
	"1.":  {"Ақпараттық өзара іс-қимыл қатысушылары", "Участники информационного взаимодействия", "Participants in the information interaction"},
	"1.1": {"Сервис иесінің атауы", "Наименование владельца сервиса", "Name of the service owner"},
	"1.2": {"Интеграциялық сервис бастамашысының атауы", "Наименование инициатора интеграционного сервиса", "Name of the initiator of the integration service"},
	"2.":  {"Ақпараттық жүйелер", "Информационные системы", "Information systems"},
	"2.1": {"Сервис иесінің ақпараттық жүйесі", "Информационная система владельца сервиса", "Information system of the service owner"},
	"2.2": {"Интеграциялық сервис бастамашысының ақпараттық жүйесі", "Информационная система инициатора интеграционного сервиса", "Information system of the initiator of the integration service"},
	"3.":  {"Тестілеу сервистері", "Тестируемые сервисы", "Services tested"},
	"3.1": {"Сервис атауы", "Наименование сервиса", "Name of the service"},
	"3.2": {"Сервис кілті", "Ключ сервиса", "Service key"},
	"4":   {"Тестілеу сценарийі", "Сценарий тестирования", "Testing scenario"},
	"5":   {"Тестілеу нәтижелері бойынша шешім", "Решение по результатам тестирования", "Decision based on the results of testing"},
	"6":   {"Өнеркәсіптік ортаға ауыстыру күні", "Дата перевода в промышленную среду", "Date of transfer to the production environment"},
}

// actTexts are the fixed texts of the rendered act, keyed by name. A text with verbs is a format;
// explicit argument indexes let a language reorder them.
var actTexts = map[string]text{
	// The title is the form's; the appendix line quotes the Kazakh original's header.
	"title": {"Тестілеу және пайдалануға енгізу туралы акт", "Акт тестирования и ввода в эксплуатацию", "Act of testing and commissioning"},
	"appendix": {`"Электрондық үкіметтің" ақпараттандыру объектілерін интеграциялау қағидаларына 4-қосымша (№ 165/НҚ бұйрық, 2020)`,
		"Приложение 4 к Правилам интеграции объектов информатизации «электронного правительства» (приказ № 165/НҚ, 2020)",
		"Appendix 4 to the Rules for integration of e-government informatization objects (order No. 165/НҚ, 2020)"},
	"act-id":          {"№ %s акт", "Акт № %s", "Act %s"},
	"col-no":          {"№", "№", "No."},
	"col-field":       {"Өріс", "Поле", "Field"},
	"col-value":       {"Мәні", "Значение", "Value"},
	"operator":        {"оператор толтырады", "заполняется оператором", "to be filled in by the operator"},
	"signatures":      {"Электрондық цифрлық қолтаңбалар (R-8)", "Электронные цифровые подписи (R-8)", "Electronic digital signatures (R-8)"},
	"col-signer":      {"Қол қоюшы", "Подписант", "Signer"},
	"col-certificate": {"Сертификат", "Сертификат", "Certificate"},
	"serial":          {"сериялық нөмірі %s", "серийный номер %s", "serial %s"},
	"issued-by":       {"берген: %s", "выдан: %s", "issued by %s"},
	"valid":           {"жарамдылық мерзімі: %[1]s – %[2]s", "срок действия: %[1]s – %[2]s", "valid %[1]s to %[2]s"},
	"rendering": {"Қолтаңбалар — электрондық актіге (act.xml) енгізілген XML-қолтаңбалар; бұл бет соның көрінісі, оның өзінде қолтаңба жоқ. Акт барлық тілде бірдей: оның қазақ, орыс және ағылшын тілдеріндегі көріністері бірдей өрістер мен қолтаңбаларды көрсетеді.",
		"Подписи — XML-подписи, встроенные в электронный акт (act.xml); эта страница — его отображение и сама подписи не содержит. Акт один на всех языках: его отображения на казахском, русском и английском языках показывают одни и те же поля и подписи.",
		"The signatures are enveloped XML signatures in the electronic act (act.xml); this page is a rendering of it and carries no signature itself. The act is the same in every language: its Kazakh, Russian and English renderings show the same fields and signatures."},
	"unsigned": {"Актіге қол қойылмаған.", "Акт не подписан.", "The act is not signed."},

	// Field 4 drawn from a run.
	"run": {"shepconf сәйкестікке тексеру жүргізуі, %[1]s: сценарийлер саны — %[2]d, қорытынды — %[3]s.",
		"Прогон проверки на соответствие shepconf от %[1]s: сценариев — %[2]d, вердикт — %[3]s.",
		"Conformance run of %[1]s by shepconf: %[2]d scenarios, verdict %[3]s."},
	"sealed": {"Нәтижелерді стенд %[2]s кілтімен %[1]s мөрлеген:",
		"Результаты опечатаны %[1]s ключом стенда %[2]s:",
		"Results sealed on %[1]s by the harness key %[2]s:"},
	"remarks": {"Ескертулер, сәйкессіздік емес (шлюз рұқсат етеді, бірақ Қағидалар талап етпейді): %d.",
		"Замечания, не несоответствия (допускаются шлюзом, но не требуются Правилами): %d.",
		"Remarks, not failures (tolerated by the gateway, not asked for by the Rules): %d."},

	// Field 5 drawn from a run.
	"ready": {"Сервис пайдалануға енгізуге дайын: сәйкестікке тексеру жүргізуінің барлық %[1]d сценарийі өтті (қорытынды — %[2]s).",
		"Сервис готов к вводу в эксплуатацию: все сценарии прогона проверки на соответствие (%[1]d) пройдены (вердикт — %[2]s).",
		"The service is ready for commissioning: all %[1]d scenarios of the conformance run passed (verdict %[2]s)."},
	"ready-remarks": {" Жүргізу %[1]d ескерту жасады, олар 4-өрісте келтірілген (%[2]s): бұл сәйкессіздік емес, бірақ Қағидалар басқаны талап етеді.",
		" Замечаний прогона: %[1]d, они перечислены в поле 4 (%[2]s): это не несоответствия, но Правила требуют иного.",
		" The run made %[1]d remark(s), listed in field 4 (%[2]s): not failures, but the Rules ask for something else."},
	"not-ready": {"Сервис пайдалануға енгізуге дайын емес (қорытынды — %[1]s); интеграцияны тестілеу оң нәтиже алғанға дейін жалғасады (R-24, R-42). Не жетіспейді:",
		"Сервис не готов к вводу в эксплуатацию (вердикт — %[1]s); интеграционное тестирование продолжается до получения положительного результата (R-24, R-42). Чего не хватает:",
		"The service is not ready for commissioning (verdict %[1]s); integration testing continues until a positive result (R-24, R-42). What is missing:"},
	"not-passed":        {"Өтпеген сценарийлер:", "Непройденные сценарии:", "Scenarios that did not pass:"},
	"none":              {"жоқ", "нет", "none"},
	"side-owner":        {"сервис иесінің", "владельца", "owner"},
	"side-initiator":    {"бастамашының", "инициатора", "initiator"},
	"shortfall-failed":  {"%d сценарий өтпеді", "не пройдено сценариев: %d", "%d scenario(s) failed"},
	"shortfall-skipped": {"%d сценарий өткізіп жіберілді немесе соңына дейін орындалмады", "пропущено или не выполнено до конца сценариев: %d", "%d scenario(s) skipped or not run to the end"},
	"shortfall-none":    {"рөлдің бірде-бір сценарийі орындалмады", "не выполнено ни одного сценария роли", "no scenario of the role ran"},
}

// statusTexts are the statuses of a scenario, as the report words them.
var statusTexts = map[string]text{
	"passed":    {"өтті", "пройден", "passed"},
	"failed":    {"өтпеді", "не пройден", "failed"},
	"skipped":   {"өткізіп жіберілді", "пропущен", "skipped"},
	"undefined": {"анықталмаған", "не определён", "undefined"},
	"pending":   {"күтуде", "ожидает", "pending"},
	"ambiguous": {"екіұшты", "неоднозначен", "ambiguous"},
}

// verdictTexts are the verdicts of a run, as the report words them.
var verdictTexts = map[string]text{
	"CONFORMANT":     {"СӘЙКЕС КЕЛЕДІ", "СООТВЕТСТВУЕТ", "CONFORMANT"},
	"NOT CONFORMANT": {"СӘЙКЕС КЕЛМЕЙДІ", "НЕ СООТВЕТСТВУЕТ", "NOT CONFORMANT"},
	"INCOMPLETE":     {"ТЕКСЕРУ АЯҚТАЛМАҒАН", "ПРОВЕРКА НЕ ЗАВЕРШЕНА", "INCOMPLETE"},
}

// gapText words one gap: its format in each language and the arguments the format takes.
type gapText struct {
	say  text
	args func(a TestAct, g Gap, l Lang) []any
}

// gapTexts word the gaps of a decision (TestingDecision), by code.
var gapTexts = map[GapCode]gapText{
	GapRunUnknown: {say: text{
		"жүргізу белгісіз: оның қалтасында уақыт масштабы, тестіленетін жүйе мен рөлдер көрсетілген run.json жоқ",
		"прогон неизвестен: в его папке нет run.json с масштабом времени, тестируемой системой и ролями",
		"the run is unknown: its folder has no run.json naming its time scale, system under test and roles"}},
	GapRunUnreadable: {say: text{
		"жүргізудің run.json файлы оқылмайды", "run.json прогона не читается", "run.json of the run cannot be read"}},
	GapDemonstration: {say: text{
		"жүргізу кірістірілген үлгі жүйелердің демонстрациясы болды және ештеңені растамайды; оны мекеменің жүйесімен жүргізіңіз (--sut-image, --sut-url немесе --config ішіндегі sut)",
		"прогон был демонстрацией встроенных демонстрационных систем и ничего не подтверждает; проведите его с системой ведомства (--sut-image, --sut-url или sut в --config)",
		"the run was a demonstration of the built-in sample systems and certifies nothing; run it against the agency's system (--sut-image, --sut-url or sut in --config)"}},
	GapTimeScale: {say: text{
		"жүргізу барлық шектерді %[1]s уақыт масштабымен қысқартты; сәйкестікті тек Қағидалардың өз шектеріндегі (уақыт масштабы 1) жүргізу растайды",
		"прогон сжал все пределы с масштабом времени %[1]s; соответствие подтверждает только прогон с пределами самих Правил (масштаб времени 1)",
		"the run shrank every limit by the time scale %[1]s; only a run at the Rules' own limits (time scale 1) certifies"},
		args: func(_ TestAct, g Gap, _ Lang) []any { return []any{g.Scale} }},
	GapFiltered: {say: text{
		"жүргізу --tags арқылы тарылтылды (таңдалғаны: %[1]s): сәйкестікті тек әр рөлдің барлық сценарийлерін жүргізу растайды",
		"прогон был сужен флагом --tags (выбрано %[1]s): соответствие подтверждает только прогон всех сценариев каждой роли",
		"the run was narrowed with --tags (it selected %[1]s): only a run of every scenario of each role certifies"},
		args: func(_ TestAct, g Gap, _ Lang) []any { return []any{g.Tags} }},
	GapNoSystemUnderTest: {say: text{
		"run.json ішінде тестіленетін жүйе көрсетілмеген (оны shepconf-тың ертеректегі нұсқасы жазған); жиынтықты қайта жүргізіңіз",
		"в run.json не указана тестируемая система (его записала более ранняя версия shepconf); проведите прогон заново",
		"run.json names no system under test (it was written by an earlier shepconf); run the suite again"}},
	GapRoleNotCertified: {say: text{"%[1]s рөлі: %[2]s", "роль %[1]s: %[2]s", "role %[1]s: %[2]s"},
		args: func(_ TestAct, g Gap, l Lang) []any { return []any{g.Role, shortfall(g, l)} }},
	GapNoRole: {say: text{
		"жүргізу %[1]s жүйесінің бірде-бір рөлін растамады", "прогон не подтвердил ни одной роли %[1]s", "the run certified no role of %[1]s"},
		args: func(_ TestAct, g Gap, _ Lang) []any { return []any{g.System} }},
	GapSystemNotTested: {say: text{
		"актіде сервис иесінің жүйесі %[1]s және бастамашының жүйесі %[2]s көрсетілген, бірақ жүргізу %[3]s жүйесін тексерді",
		"в акте указаны система владельца %[1]s и система инициатора %[2]s, но прогон проверял %[3]s",
		"the act names owner system %[1]s and initiator system %[2]s, but the run tested %[3]s"},
		args: func(a TestAct, g Gap, _ Lang) []any { return []any{a.OwnerSystem, a.InitiatorSystem, g.System} }},
	GapSideNotCertified: {say: text{
		"актіде %[1]s %[2]s жүйесі ретінде көрсетілген (%[3]s-өріс), бірақ жүргізу оны %[2]s бірде-бір рөлінде растамады (%[4]s)",
		"в акте %[1]s указана как система %[2]s (поле %[3]s), но прогон не подтвердил её ни в одной роли %[2]s (%[4]s)",
		"the act names %[1]s as the %[2]s system (field %[3]s), but the run certified it in no %[2]s role (%[4]s)"},
		args: func(_ TestAct, g Gap, l Lang) []any {
			side, field := actTexts["side-owner"], "2.1"
			if g.Side == InitiatorSide {
				side, field = actTexts["side-initiator"], "2.2"
			}
			return []any{g.System, side.in(l), field, strings.Join(g.Roles, ", ")}
		}},
	GapServiceNotExercised: {say: text{
		"%[1]s сервисі жүргізудің расталған бірде-бір рөлінде пайдаланылмады (пайдаланылған сервистер: %[2]s)",
		"сервис %[1]s не задействован ни в одной подтверждённой роли прогона (задействованные сервисы: %[2]s)",
		"service %[1]s was not exercised in a certified role of the run (services exercised: %[2]s)"},
		args: func(_ TestAct, g Gap, l Lang) []any {
			exercised := strings.Join(g.Exercised, ", ")
			if exercised == "" {
				exercised = actTexts["none"].in(l)
			}
			return []any{g.Service, exercised}
		}},
	GapNoScenario: {say: text{"бірде-бір сценарий орындалмады", "не выполнено ни одного сценария", "no scenario ran"}},
	GapScenariosNotPassed: {say: text{
		"қорытынды — %[1]s: %[3]d сценарийдің %[2]d өтпеді",
		"вердикт — %[1]s: не пройдено сценариев: %[2]d из %[3]d",
		"verdict %[1]s: %[2]d of %[3]d scenarios did not pass"},
		args: func(_ TestAct, g Gap, l Lang) []any { return []any{verdictIn(g.Verdict, l), g.Open, g.Total} }},
}

// shortfall says in l why a role is not certified: scenarios that failed or did not run to the end.
func shortfall(g Gap, l Lang) string {
	var parts []string
	if g.Failed > 0 {
		parts = append(parts, fmt.Sprintf(actTexts["shortfall-failed"].in(l), g.Failed))
	}
	if g.Skipped > 0 {
		parts = append(parts, fmt.Sprintf(actTexts["shortfall-skipped"].in(l), g.Skipped))
	}
	if len(parts) == 0 {
		return actTexts["shortfall-none"].in(l)
	}
	return strings.Join(parts, ", ")
}

// remarkTexts say what each remark of a run means, by code (xsig and the gateway's remarks); a
// remark of another code is shown by its code and clause alone.
var remarkTexts = map[string]text{
	"rsa-sha1": {"RSA-SHA1 немесе SHA-1 дайджестерімен қол қойылған: нақты шлюз қабылдайтындай қабылданды; RSA-SHA256 және SHA-256 дайджестерімен қол қойыңыз",
		"подписано RSA-SHA1 или с дайджестами SHA-1: принято, как его принимает реальный шлюз; подписывайте RSA-SHA256 с дайджестами SHA-256",
		"signed with RSA-SHA1 or SHA-1 digests: accepted as the real gateway accepts it; sign with RSA-SHA256 and SHA-256 digests"},
	"signed-timestamp": {"қолтаңба wsu:Timestamp элементін де қамтиды, ал көліктік қолтаңбаға уақыт белгісі қажет емес (R-55); оны алып тастауға болады",
		"подпись охватывает также wsu:Timestamp, а транспортной подписи метка времени не нужна (R-55); её можно не передавать",
		"the signature also covers a wsu:Timestamp, which the transport signature does not need (R-55); it may be left out"},
	"plain-id": {"Body элементіне қарапайым Id атрибутымен сілтеме жасалған; wsu:Id қолданған жөн",
		"Body указан простым атрибутом Id; предпочтительно wsu:Id",
		"the Body is referenced by a plain Id attribute; prefer wsu:Id"},
	"message-date": {"messageDate шлюз сағатынан алшақ: Қағидалар шек белгілемегендіктен қабылданды; messageDate ішінде хабарламаның жіберілген уақытын көрсетіңіз",
		"messageDate далеко от часов шлюза: принято, так как Правила не задают допустимого окна; указывайте в messageDate время отправки сообщения",
		"messageDate is far from the gateway's clock: accepted, as the Rules set no window; set messageDate to the time the message is sent"},
}

// months are the months in each language, in the case a date takes (Russian: genitive).
var months = [12]text{
	{"қаңтар", "января", "January"}, {"ақпан", "февраля", "February"}, {"наурыз", "марта", "March"},
	{"сәуір", "апреля", "April"}, {"мамыр", "мая", "May"}, {"маусым", "июня", "June"},
	{"шілде", "июля", "July"}, {"тамыз", "августа", "August"}, {"қыркүйек", "сентября", "September"},
	{"қазан", "октября", "October"}, {"қараша", "ноября", "November"}, {"желтоқсан", "декабря", "December"},
}

// dateIn writes a day as each language writes it in a document: "2025 жылғы 2 қаңтар",
// "2 января 2025 г.", "2 January 2025".
func dateIn(t time.Time, l Lang) string {
	m := months[t.Month()-1].in(l)
	switch l {
	case Kazakh:
		return fmt.Sprintf("%d жылғы %d %s", t.Year(), t.Day(), m)
	case Russian:
		return fmt.Sprintf("%d %s %d г.", t.Day(), m, t.Year())
	}
	return fmt.Sprintf("%d %s %d", t.Day(), m, t.Year())
}

func statusIn(code string, l Lang) string {
	if t, ok := statusTexts[code]; ok {
		return t.in(l)
	}
	return code
}

func verdictIn(code string, l Lang) string {
	if t, ok := verdictTexts[code]; ok {
		return t.in(l)
	}
	return code
}
