@role-rest-initiator @rest @A1-P5
Feature: The agency's system as a REST initiator (role rest-initiator)
  Made to act through its trigger, the system under test calls a REST service through the gateway:
  over HTTPS, authenticated by the login and password the operator issued (in the body or by HTTP
  Basic, optionally with its NCA certificate over mutual TLS; clauses 2.7 and 53), with a request in
  the format of A1-T22 and a fresh messageId. It reports the owner's answer (A1-T23), and a REST
  error of the gateway as a fault, never as an answer. What travelled is judged from the gateway's
  journal and from what the reference REST owner received.

  Background:
    Given the gateway serves REST services over HTTPS to and from the system under test
    And the owner system "OWNER_SYS" serves "REST_SERVICE_ID" to the system under test in the REST style over HTTPS
    And the system under test is registered with the gateway and granted access to "REST_SERVICE_ID"

  @A1-T22 @R-2.7 @R-53 @A1-T23
  Scenario: The REST initiator under test calls a service over HTTPS, authenticated, and reports the owner's answer
    Given the REST owner of "REST_SERVICE_ID" answers with the data "found: 990101300123"
    When the system under test is made to call "REST_SERVICE_ID" in the REST style with the data {"iin": "990101300123"}
    Then the gateway accepted the REST request of the system under test over HTTPS, authenticated and valid against A1-T22
    And the journal records the REST exchange of the system under test as "ANSWERED"
    And the REST owner received the request of the system under test with the business data unaltered and without the password
    And the system under test reports the owner's answer "found: 990101300123"

  @R-61 @A1-T22
  Scenario: The REST initiator under test gives every request a fresh messageId
    When the system under test is made to call "REST_SERVICE_ID" in the REST style twice
    Then the gateway's journal shows two REST requests of the system under test with different messageIds

  @A1-T23 @R-53
  Scenario: The REST initiator under test reports the gateway's REST error as a fault, not as an answer
    Given the REST owner of "REST_SERVICE_ID" answers without "response/responseInfo/responseDate"
    When the system under test is made to call "REST_SERVICE_ID" in the REST style with the data {"iin": "990101300123"}
    Then the journal records the REST exchange of the system under test as "FAULT" with code "SCE010"
    And the system under test reports a fault with code "SCE010"

  @A2-T1 @slow
  Scenario: The REST initiator under test waits for the gateway's verdict on an owner slower than 30 seconds
    Given the REST owner of "REST_SERVICE_ID" answers after 31 seconds
    When the system under test is made to call "REST_SERVICE_ID" in the REST style with the data {"iin": "990101300123"}
    Then the journal records the REST exchange of the system under test as "FAULT" with code "SCE008"
    And the system under test reports a fault with code "SCE008"
