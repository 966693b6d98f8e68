@role-async-receiver-pull @A1-P2
Feature: The system under test takes its messages with getMessages
  The system under test serves a service on the asynchronous channel without a push endpoint: made
  to act through its trigger, it takes its waiting messages with getMessages, checks the gateway's
  transport signature on what it is given, and acknowledges each message with
  sendDeliveryNotification. It acknowledges as accepted only what it accepted.

  Background:
    Given the gateway runs its asynchronous channel for the system under test
    And the system under test serves "SUT_ASYNC_SERVICE" and takes its messages with getMessages
    And the reference initiator "INITIATOR_SYS" may send to "SUT_ASYNC_SERVICE"

  @A1-T10 @A1-T11 @A1-T4 @A1-T5 @A1-T8 @R-59
  Scenario: The receiver takes its message with getMessages and acknowledges it as accepted
    Given the reference initiator sends "<question><uin>990101300123</uin></question>" to "SUT_ASYNC_SERVICE"
    When the system under test takes its messages of "SUT_ASYNC_SERVICE"
    Then the gateway handed the message to the system under test by getMessages
    And the system under test acknowledged the message with MESSAGE_ACCEPTED
    And the state of the message is "DELIVERED"
    And the system under test reports the message taken with the data unaltered

  @A6-S1 @A1-T4 @R-59
  Scenario: The receiver does not accept a message whose gateway signature fails
    Given the reference initiator sends "<question/>" to "SUT_ASYNC_SERVICE"
    When the system under test takes its messages of "SUT_ASYNC_SERVICE" through a channel that alters the gateway's answers
    Then the gateway handed the message to the system under test by getMessages
    And the system under test did not acknowledge the message as accepted
    And the state of the message is not "DELIVERED"
