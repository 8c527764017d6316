"""What operators and the system say to customers: quick replies and automatic messages."""
