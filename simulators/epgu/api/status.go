package api

import "time"

// Processing is the status of an order's processing inside gu-smev, the code field of the order
// details (EPGU-A1). The 1.13 list is used: VALIDATION is gone and CREATE_ORDER_FORBIDDEN added
// (EPGU-1.13).
type Processing string

const (
	ProcessingNew                     Processing = "NEW"
	ProcessingFilesVerification       Processing = "FILES_VERIFICATION"
	ProcessingFilesVerificationOK     Processing = "FILES_VERIFICATION_SUCCESS"
	ProcessingDone                    Processing = "DONE"
	ProcessingLimitationException     Processing = "LIMITATION_EXCEPTION"
	ProcessingInvalidFilesStructure   Processing = "INVALID_FILES_STRUCTURE"
	ProcessingValidationError         Processing = "VALIDATION_ERROR"
	ProcessingReqNotFound             Processing = "REQ_NOT_FOUND"
	ProcessingMPCNotFound             Processing = "MPC_NOT_FOUND"
	ProcessingReqVerifyFailed         Processing = "REQ_VERIFY_FAILED"
	ProcessingFilesVerificationFailed Processing = "FILES_VERIFICATION_FAILED"
	ProcessingInternalError           Processing = "INTERNAL_ERROR"
	ProcessingCreateOrderForbidden    Processing = "CREATE_ORDER_FORBIDDEN"
)

// Final says whether the processing status ends the processing (EPGU-A1 "Финальный").
func (p Processing) Final() bool {
	switch p {
	case ProcessingNew, ProcessingFilesVerification, ProcessingFilesVerificationOK, "RETRY", "VALIDATION":
		return false
	}
	return true
}

// message is the text of the details' message field for a processing status (EPGU-T27).
func (p Processing) message() string {
	switch p {
	case ProcessingNew:
		return "Запрос на создание заявления зарегистрирован"
	case ProcessingFilesVerification:
		return "Выполняется проверка подписей вложений"
	case ProcessingFilesVerificationOK:
		return "Проверка подписей вложений пройдена"
	case ProcessingDone:
		return "Заявление передано на отправку в ведомство"
	case ProcessingLimitationException:
		return "Превышено ограничение на количество заявлений (Приложение 3)"
	case ProcessingCreateOrderForbidden:
		return "Создание заявления запрещено: нет полномочий или настроек услуги"
	}
	return "Обработка запроса на создание заявления завершена с ошибкой"
}

// User-facing order statuses (ЛК ЕПГУ status model), orderStatusId and statuses[].statusId.
const (
	StatusDraft           = 0  // EPGU-5.5 sample
	StatusReceived        = 2  // EPGU-5.5 sample; FSSP 60010153 spec, App. 2
	StatusDone            = 3  // FSSP 60010153 spec, App. 2: the service rendered, final
	StatusRefused         = 4  // FSSP 60010153 spec, App. 2: final
	StatusSendError       = 5  // FSSP 60010153 spec, App. 2: final
	StatusCancelled       = 10 // no source at hand gives this code: the simulator's choice, see Script.Cancelled
	StatusNeedsCorrection = 15 // EPGU-5.4 sample
	StatusRegistered      = 17 // EPGU-5.5 sample
	StatusSent            = 21 // EPGU-5.5 sample
	StatusReceiveError    = 22 // FSSP 60010153 spec, App. 2: final
	StatusProcessingError = 24 // EPGU-5.5 sample: final
)

type statusInfo struct {
	title string
	final bool
}

var statusCatalogue = map[int]statusInfo{
	StatusDraft:           {"Черновик заявления", false},
	StatusReceived:        {"Заявление получено ведомством", false},
	StatusDone:            {"Услуга оказана", true},
	StatusRefused:         {"Отказано в предоставлении услуги", true},
	StatusSendError:       {"Ошибка отправки заявления в ведомство", true},
	StatusCancelled:       {"Заявление отменено", true},
	StatusNeedsCorrection: {"Заявление требует исправления", false},
	StatusRegistered:      {"Зарегистрировано на портале", false},
	StatusSent:            {"Заявление отправлено в ведомство", false},
	StatusReceiveError:    {"Ошибка получения заявления ведомством", true},
	StatusProcessingError: {"Ошибка обработки заявления", true},
}

// StatusTitle is the Russian name of a status of the catalogue, or "" for an unknown one.
func StatusTitle(id int) string { return statusCatalogue[id].title }

// Step is one status the scripted agency sets, Delay after the step before it (the first step: after
// the processing ends DONE).
type Step struct {
	Status        int
	Delay         time.Duration
	CancelAllowed bool
	Result        bool   // the status carries the result file (orderResponseFiles, objectType 3)
	Title         string // overrides the catalogue's name
	Comment       string
	Final         *bool // overrides the catalogue's finalStatus
}

func (s Step) title() string {
	if s.Title != "" {
		return s.Title
	}
	if t := StatusTitle(s.Status); t != "" {
		return t
	}
	return "Статус " + itoa(int64(s.Status))
}

func (s Step) final() bool {
	if s.Final != nil {
		return *s.Final
	}
	return statusCatalogue[s.Status].final
}

// Script is the simulated agency: how long each processing stage takes and which statuses follow a
// DONE processing.
type Script struct {
	// Processing is the time each processing stage takes (NEW → FILES_VERIFICATION →
	// FILES_VERIFICATION_SUCCESS → DONE).
	Processing time.Duration
	Steps      []Step
	// Cancelled is the status a successful cancel sets (EPGU-2.2); its Delay is ignored.
	Cancelled Step
}

// DefaultScript is 17 → 21 → 2 → 3 with a result file, a few seconds apart; cancel is allowed while
// the order waits at 17 and 21.
func DefaultScript() Script {
	return Script{
		Processing: time.Second,
		Steps: []Step{
			{Status: StatusRegistered, Delay: time.Second, CancelAllowed: true},
			{Status: StatusSent, Delay: 2 * time.Second, CancelAllowed: true},
			{Status: StatusReceived, Delay: 5 * time.Second, Comment: "Сообщение доставлено"},
			{Status: StatusDone, Delay: 10 * time.Second, Result: true},
		},
		Cancelled: Step{Status: StatusCancelled},
	}
}
