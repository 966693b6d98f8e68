@role-epgu-client
Feature: The agency's system follows its order, cancels it and downloads the result
  After the push the order moves through the statuses the user sees (17 registered on the portal,
  21 sent to the agency, 2 received by the agency, 3 result ready ...). The system reads them from
  the order's details or the status lists, no faster than the limits of Appendix 3 allow, cancels
  only while cancelAllowed, and downloads the result file by the terrabyte:// link of the order.
  A 429 is retried after its Retry-After, and a 502-504 later, not at once: Appendix 4 leaves the
  pause to each service's specification, and the demonstration service asks for at least a second.

  Background:
    Given the EPGU test contour runs with the demonstration service
    And the system under test is registered in ESIA with its certificate and holds its API key

  @EPGU-2.4 @EPGU-4 @EPGU-1.13 @EPGU-A3
  Scenario: The system follows its order to the result and downloads the result file
    Given the agency answers orders of the demonstration service after 20 seconds
    When the system under test is made to submit an order for the demonstration service and follow it to its result
    Then the system under test stayed within 2000 calls a minute and was never refused for its rate
    And the system under test downloaded the result file of its order

  @EPGU-2.2
  Scenario: The system cancels its order while the order allows it
    Given the agency keeps orders of the demonstration service cancellable for 10 seconds
    When the system under test is made to submit an order for the demonstration service and cancel it
    Then the order of the system under test was cancelled while its status allowed it

  @EPGU-A4 @EPGU-A3
  Scenario: The system waits as told after 429 and repeats the call
    Given the EPGU API answers the next 2 calls of the system under test with HTTP 429 and Retry-After 2 seconds
    When the system under test is made to submit an order for the demonstration service in a single call
    Then the system under test waited at least the Retry-After before each repeated call
    And the order of the system under test reaches the processing status "DONE"

  @EPGU-A4
  Scenario: The system repeats a call later after 503
    Given the EPGU API answers the next call of the system under test with HTTP 503
    When the system under test is made to submit an order for the demonstration service in a single call
    Then the system under test repeated the call after a pause of at least 1 second
    And the order of the system under test reaches the processing status "DONE"
