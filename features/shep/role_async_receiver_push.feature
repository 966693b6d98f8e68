@role-async-receiver-push @A1-P3
Feature: The system under test is pushed its messages by the gateway
  The system under test serves the participant's side of the asynchronous channel on its endpoint:
  the gateway pushes sendMessage to it and tells it of state changes with
  changeMassageStatusNotification. It takes only what the gateway signed and answers everything
  under its own transport signature.

  Background:
    Given the gateway runs its asynchronous channel for the system under test
    And the system under test serves "SUT_ASYNC_SERVICE" and takes its messages by push
    And the reference initiator "INITIATOR_SYS" may send to "SUT_ASYNC_SERVICE"

  @A1-T13 @A1-T14 @A1-T8 @R-59
  Scenario: The receiver takes a pushed message and answers it signed
    When the reference initiator sends "<question><uin>990101300123</uin></question>" to "SUT_ASYNC_SERVICE"
    Then the gateway records the push to the system under test answered, signed and valid
    And the state of the message is "DELIVERED"

  @A6-S1 @R-59 @A1-T15
  Scenario: The receiver refuses a push that the gateway did not sign
    When a sendMessage that the gateway did not sign is pushed straight to the system under test
    Then the system under test refuses the push with a SOAP fault

  @A1-T16 @A1-T17 @R-59
  Scenario: The receiver answers a status notification signed
    When a changeMassageStatusNotification signed by the gateway is pushed to the system under test
    Then the system under test answers it with changeMassageStatusNotificationResponse, signed and valid, echoing the sessionId
