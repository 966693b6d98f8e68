package api

import (
	"net/http"

	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/server"
)

// The error codes of EPGU-A4, carried in {"code","message"} bodies.
const (
	CodeAccessDeniedPersonPermissions = "access_denied_person_permissions"
	CodeAccessDeniedService           = "access_denied_service"
	CodeAccessDeniedSystem            = "access_denied_system"
	CodeAccessDeniedUser              = "access_denied_user"
	CodeAccessDeniedUserLegal         = "access_denied_user_legal"
	CodeBadDelegation                 = "bad_delegation"
	CodeBadRequest                    = "bad_request"
	CodeCancelNotAllowed              = "cancel_not_allowed"
	CodeConfigDelegation              = "config_delegation"
	CodeInternalError                 = "internal_error"
	CodeLimitationException           = "limitation_exception"
	CodeNotFound                      = "not_found"
	CodeOrderAccess                   = "order_access"
	CodePushDenied                    = "push_denied"
	CodeServiceNotFound               = "service_not_found"
)

// errorBody is the EPGU-A4 error object; both fields are optional there, so a status the appendix
// gives no code for (401, 502–504) carries a message only.
type errorBody struct {
	Code    string `json:"code,omitempty"`
	Message string `json:"message"`
}

// defaultCode is the EPGU-A4 code an answer of this status carries when nothing more precise applies
// (an injected fault, a refusal of the router).
func defaultCode(status int) string {
	switch status {
	case http.StatusBadRequest, http.StatusConflict:
		return CodeBadRequest
	case http.StatusForbidden:
		return CodeAccessDeniedSystem
	case http.StatusNotFound:
		return CodeNotFound
	case http.StatusMethodNotAllowed:
		return CodeCancelNotAllowed
	case http.StatusTooManyRequests:
		return CodeLimitationException
	case http.StatusInternalServerError:
		return CodeInternalError
	}
	return ""
}

// defaultMessage is the EPGU-A4 description of a status.
func defaultMessage(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "Ошибка в параметрах запроса"
	case http.StatusUnauthorized:
		return "Отказ в доступе"
	case http.StatusForbidden:
		return "Доступ запрещен для системы"
	case http.StatusNotFound:
		return "Заявление не найдено"
	case http.StatusMethodNotAllowed:
		return "Отмена заявления в текущем статусе невозможна"
	case http.StatusConflict:
		return "Невозможно обработать запрос"
	case http.StatusTooManyRequests:
		return "Слишком много запросов"
	case http.StatusInternalServerError:
		return "Внутренняя ошибка"
	case http.StatusBadGateway:
		return "Некорректный шлюз"
	case http.StatusServiceUnavailable:
		return "Сервис недоступен"
	case http.StatusGatewayTimeout:
		return "Шлюз не отвечает"
	}
	return http.StatusText(status)
}

// fail answers an EPGU-A4 error and records its code and breach in the exchange log. A 204 (order
// not found, EPGU-A4) has no body.
func fail(w http.ResponseWriter, r *http.Request, status int, code, message string, b *rule.Breach) {
	if rec := exchangeOf(r); rec != nil {
		rec.Code, rec.Breach = code, b
		if rec.Note == "" && b == nil {
			rec.Note = message
		}
	}
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	server.WriteJSON(w, status, errorBody{Code: code, Message: message})
}

// refuse answers a breach of a rule of the spec: the message is the breach itself, so the client's
// log says which rule, what was expected and how to fix it.
func refuse(w http.ResponseWriter, r *http.Request, status int, code string, b *rule.Breach) {
	fail(w, r, status, code, b.Error(), b)
}
