"""kefu-xl: spreadsheet-native automation for customer-service departments."""
__version__ = "0.1.0"
