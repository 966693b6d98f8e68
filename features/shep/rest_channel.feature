@rest @A1-P5 @R-2.23
Feature: REST services through the gateway (Appendix 1, REST data formats; clauses 2.7 and 53)
  An initiator calls an owner's REST service through the gateway. The request and the answer are
  JSON objects with the fields of tables A1-T22 and A1-T23. Instead of the transport signature, a
  REST service is secured by HTTPS and user authentication (clauses 2.7 and 53): the gateway serves
  REST only over HTTPS with a certificate from the national certification authority, and checks the
  login and password (in the body or by HTTP Basic) and, when the client presents one, its
  certificate. A sender may also sign and encrypt its message (Appendix 6, scenario 3): the gateway
  decrypts it and checks the signature before routing.

  Background:
    Given the gateway serves REST services over HTTPS with a certificate from the NCA
    And the system "INITIATOR_SYS" is registered with the password "init-secret"
    And the owner system "OWNER_SYS" serves "REST_SERVICE_ID" in the REST style over HTTPS
    And "INITIATOR_SYS" is granted access to "REST_SERVICE_ID"

  @R-2.7 @R-53 @A1-T22 @A1-T23 @R-2.5 @R-47
  Scenario: A valid REST request is answered by the owner through the gateway
    When "INITIATOR_SYS" calls "REST_SERVICE_ID" over HTTPS with the data {"iin": "990101300123", "purpose": "check"}
    Then the initiator receives the owner's REST answer
    And the REST answer is valid against the A1-T23 schema
    And the REST owner received the request with the business data unaltered and without the password
    And the REST owner received the gateway's client certificate
    And the journal records the REST exchange as "ANSWERED"

  @R-2.7 @R-53
  Scenario: The credentials may travel by HTTP Basic over TLS instead of the body
    When "INITIATOR_SYS" calls "REST_SERVICE_ID" over HTTPS with HTTP Basic authentication and no password in the body
    Then the initiator receives the owner's REST answer
    And the journal records the REST exchange as "ANSWERED"

  @R-2.7 @R-53
  Scenario: A REST request over plain HTTP is refused
    When "INITIATOR_SYS" calls "REST_SERVICE_ID" over plain HTTP
    Then the initiator receives a REST error with code "SCE031" and HTTP status 426
    And the REST error cites "R-2.7"
    And the REST error says "clauses 2.7 and 53"
    And the REST owner received no request
    And the journal records the REST exchange as "REJECTED" with code "SCE031" and rule "R-2.7"

  @R-53 @A1-T22
  Scenario: A REST request with a wrong password is refused
    When "INITIATOR_SYS" calls "REST_SERVICE_ID" over HTTPS with the password "guessed"
    Then the initiator receives a REST error with code "SCE002" and HTTP status 401
    And the REST error cites "R-53" and names the field "request/requestInfo/sender"
    And the REST error is valid against the documented error format
    And the REST owner received no request
    And the journal records the REST exchange as "REJECTED" with code "SCE002" and rule "R-53"

  @R-53
  Scenario: Wrong HTTP Basic credentials are refused
    When "INITIATOR_SYS" calls "REST_SERVICE_ID" over HTTPS with HTTP Basic authentication and the password "guessed"
    Then the initiator receives a REST error with code "SCE002" and HTTP status 401
    And the REST error cites "R-53" and names the field "Authorization"
    And the REST owner received no request

  @R-2.7 @R-53 @R-54
  Scenario: A client certificate of the registered system is accepted over mutual TLS
    When "INITIATOR_SYS" calls "REST_SERVICE_ID" over HTTPS presenting its own NCA certificate
    Then the initiator receives the owner's REST answer

  @R-2.7 @R-53 @R-54
  Scenario: A client certificate of another organisation is refused
    When "INITIATOR_SYS" calls "REST_SERVICE_ID" over HTTPS presenting the certificate of another organisation
    Then the initiator receives a REST error with code "SCE002" and HTTP status 401
    And the REST error cites "R-2.7" and names the field "TLS client certificate"
    And the REST error says "not the sender"
    And the REST owner received no request

  @A1-T22 @R-5
  Scenario: A REST request without a required field is refused
    When "INITIATOR_SYS" calls "REST_SERVICE_ID" over HTTPS without "request/requestInfo/messegeDate"
    Then the initiator receives a REST error with code "SCE001" and HTTP status 400
    And the REST error cites "A1-T22 row 5" and names the field "request/requestInfo/messegeDate"
    And the REST owner received no request
    And the journal records the REST exchange as "REJECTED" with code "SCE001" and rule "A1-T22 row 5"

  @A1-T22 @R-5
  Scenario: A REST request with a field of the wrong type is refused
    When "INITIATOR_SYS" calls "REST_SERVICE_ID" over HTTPS with "request/requestInfo/messageId" set to the number 42
    Then the initiator receives a REST error with code "SCE001" and HTTP status 400
    And the REST error cites "A1-T22 row 3" and names the field "request/requestInfo/messageId"
    And the REST owner received no request

  @A1-T22 @R-5
  Scenario: A REST request with a field the table does not have is refused
    When "INITIATOR_SYS" calls "REST_SERVICE_ID" over HTTPS with the extra field "request/requestInfo/correlationId"
    Then the initiator receives a REST error with code "SCE001" and HTTP status 400
    And the REST error cites "A1-T22 row 2" and names the field "request/requestInfo"
    And the REST error says "remove correlationId"
    And the REST owner received no request

  @A1-T22 @R-5
  Scenario: A REST request spelling messageDate as the SOAP channel does is refused with the Rules' spelling named
    When "INITIATOR_SYS" calls "REST_SERVICE_ID" over HTTPS with "request/requestInfo/messegeDate" renamed to "messageDate"
    Then the initiator receives a REST error with code "SCE001" and HTTP status 400
    And the REST error cites "A1-T22 row 5"
    And the REST error says "the REST wire follows the Rules' table as printed"

  @A1-T23
  Scenario: An owner's REST answer without a required field does not reach the initiator
    Given the REST owner answers "REST_SERVICE_ID" without "response/responseInfo/responseDate"
    When "INITIATOR_SYS" calls "REST_SERVICE_ID" over HTTPS
    Then the initiator receives a REST error with code "SCE010" and HTTP status 502
    And the REST error cites "A1-T23 row 4"
    And the journal records the REST exchange as "FAULT" with code "SCE010" and rule "A1-T23 row 4"

  @A2-T1 @slow
  Scenario: A REST owner slower than 30 seconds breaks the limit of Appendix 2 table 1
    Given the REST owner answers "REST_SERVICE_ID" after 31 seconds
    When "INITIATOR_SYS" calls "REST_SERVICE_ID" over HTTPS
    Then the initiator receives a REST error with code "SCE008" and HTTP status 504
    And the REST error cites "A2-T1 row 1"
    And the journal records the REST exchange as "FAULT" with code "SCE008" and rule "A2-T1 row 1"
    And the journal shows the owner's REST processing time of at least 30 seconds

  @A6-S3 @R-57 @R-58 @R-54
  Scenario: A message signed and encrypted by the sender is decrypted, verified and forwarded
    When "INITIATOR_SYS" sends "REST_SERVICE_ID" signed and encrypted for the gateway
    Then the initiator receives the owner's REST answer
    And the REST owner received the request with the business data unaltered and without the password
    And the journal shows the signature of "INITIATOR_SYS" in the sealed message checked by OCSP
    And the journal records the REST exchange as "ANSWERED"

  @A6-S3 @R-58
  Scenario: A message encrypted for another certificate than the gateway's is refused
    When "INITIATOR_SYS" sends "REST_SERVICE_ID" signed and encrypted for another certificate
    Then the initiator receives a REST error with code "SCE030" and HTTP status 400
    And the REST error cites "A6-S3"
    And the REST error says "encrypted for another key"
    And the REST owner received no request

  @A6-S3 @R-53
  Scenario: A sealed message whose ciphertext was altered in transit is refused
    When "INITIATOR_SYS" sends "REST_SERVICE_ID" signed and encrypted for the gateway with the ciphertext altered
    Then the initiator receives a REST error with code "SCE030" and HTTP status 400
    And the REST error cites "A6-S3"
    And the REST error says "cannot be decrypted"
    And the REST owner received no request

  @A6-S3 @R-53 @R-58
  Scenario: A sealed message altered after signing is refused
    When "INITIATOR_SYS" sends "REST_SERVICE_ID" signed, altered after signing, and encrypted for the gateway
    Then the initiator receives a REST error with code "SCE006" and HTTP status 400
    And the REST error says "signature invalid"
    And the REST owner received no request

  @A6-S3 @R-59
  Scenario: An encrypted message that is not signed is refused
    When "INITIATOR_SYS" sends "REST_SERVICE_ID" encrypted for the gateway but not signed
    Then the initiator receives a REST error with code "SCE007" and HTTP status 400
    And the REST owner received no request

  @A6-S3 @R-54 @R-58
  Scenario: A sealed message signed with the certificate of another organisation is refused
    When "INITIATOR_SYS" sends "REST_SERVICE_ID" signed with the certificate of another organisation and encrypted for the gateway
    Then the initiator receives a REST error with code "SCE011" and HTTP status 403
    And the REST error cites "R-54"
    And the REST owner received no request
    And the journal records the REST exchange as "REJECTED" with code "SCE011" and rule "R-54"
