namespace Horodate.FunctionalTests;
